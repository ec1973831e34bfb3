package version

import (
	"bytes"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	for _, tc := range []struct{ stamped, want string }{
		{"v1.2.3-4-gabcdef0-dirty", "v1.2.3-4-gabcdef0-dirty"},
		{"abcdef0", "abcdef0"},
		{"", "dev"}, // a test binary records no module version
	} {
		Version = tc.stamped
		if got := Get(); got != tc.want {
			t.Errorf("Version=%q: Get() = %q, want %q", tc.stamped, got, tc.want)
		}
	}
}

func TestPrint(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v0.1.0"
	var b bytes.Buffer
	Print(&b, "zkcli")
	if !strings.HasPrefix(b.String(), "zkcli v0.1.0 (go") || !strings.HasSuffix(b.String(), ")\n") {
		t.Fatalf("Print = %q", b.String())
	}
}
