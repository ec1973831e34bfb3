package ensemble

import (
	"strings"
	"testing"
)

func TestStamp(t *testing.T) {
	dir := t.TempDir()
	if err := CheckStamp(dir, "uid-1", 2); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := CheckStamp(dir, "uid-1", 2); err != nil {
		t.Fatalf("same ensemble and member: %v", err)
	}
	for _, tc := range []struct {
		ensemble string
		member   uint64
	}{{"uid-2", 2}, {"uid-1", 3}} {
		err := CheckStamp(dir, tc.ensemble, tc.member)
		if err == nil || !strings.Contains(err.Error(), "refusing to start") {
			t.Errorf("ensemble %q member %d on a directory of uid-1/2: %v", tc.ensemble, tc.member, err)
		}
	}
}
