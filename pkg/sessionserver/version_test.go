package sessionserver

import (
	"regexp"
	"testing"
)

// go-zookeeper's FLWSrvr pattern for the version line (flw.go).
var flwSrvrVersion = regexp.MustCompile(`^Zookeeper version: ([A-Za-z0-9\.\-]+), built on (\d\d/\d\d/\d\d\d\d \d\d:\d\d [A-Za-z0-9:\+\-]+)`)

func TestZKVersion(t *testing.T) {
	for _, tc := range []struct{ ours, want string }{
		{"v0.3.0", "3.8.0-zkensemble-v0.3.0"},
		{"v0.3.0-4-g1a2b3c4-dirty", "3.8.0-zkensemble-v0.3.0-4-g1a2b3c4-dirty"},
		{"dev", "3.8.0-zkensemble-dev"},
		{"v0.0.0-20260101000000-abcdef+dirty", "3.8.0-zkensemble-v0.0.0-20260101000000-abcdef-dirty"},
		{"a, built on x", "3.8.0-zkensemble-a--built-on-x"},
	} {
		line := "Zookeeper version: " + zkVersion(tc.ours)
		m := flwSrvrVersion.FindStringSubmatch(line)
		if m == nil || m[1] != tc.want {
			t.Errorf("version %q: line %q, parsed %q, want %q", tc.ours, line, m, tc.want)
		}
	}
}
