package podlayout

import "testing"

func TestOverReservedPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/data", true},
		{"/data/", true},
		{"/data/version-2", true},
		{"/datalog", true},
		{"/etc/zkensemble/tls", true},
		{"/etc/zkensemble", true},
		{"/database", false},
		{"/etc", false},
		{"/scratch", false},
		{"/etc/zkensemble-extra", false},
	}
	for _, tc := range tests {
		if got := OverReservedPath(tc.path); got != tc.want {
			t.Errorf("OverReservedPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
