package podlayout

import "testing"

func TestParsePod(t *testing.T) {
	tests := []struct {
		host     string
		ensemble string
		id       uint64
		observer bool
		bad      bool
	}{
		{host: "zk-0", ensemble: "zk", id: 1},
		{host: "zk-126", ensemble: "zk", id: 127},
		{host: "my-zk-2", ensemble: "my-zk", id: 3},
		{host: "zk-observer-0", ensemble: "zk", id: 128, observer: true},
		{host: "zk-observer-126", ensemble: "zk", id: 254, observer: true},
		// An ensemble may be named x-observer: its voters are voters.
		{host: "zk-observer-0", ensemble: "zk-observer", id: 1},
		{host: "zk-observer-observer-1", ensemble: "zk-observer", id: 129, observer: true},
		{host: "zk-127", bad: true},
		{host: "zk-observer-127", observer: true, bad: true},
		{host: "zk-observer-x", observer: true, bad: true},
		{host: "zk-0", observer: true, bad: true},
		{host: "-observer-0", observer: true, bad: true},
		{host: "zk", bad: true},
		{host: "-0", bad: true},
		{host: "zk-300", bad: true},
	}
	for _, tc := range tests {
		name, id, err := ParsePod(tc.host, tc.observer)
		if tc.bad {
			if err == nil {
				t.Errorf("ParsePod(%q) = %q, %d; want an error", tc.host, name, id)
			}
			continue
		}
		if err != nil || name != tc.ensemble || id != tc.id {
			t.Errorf("ParsePod(%q) = %q, %d, %v; want %q, %d", tc.host, name, id, err, tc.ensemble, tc.id)
			continue
		}
		if IsObserverID(id) != tc.observer {
			t.Errorf("IsObserverID(%d) = %v, want %v", id, !tc.observer, tc.observer)
		}
		if got := MemberPod(name, id); got != tc.host {
			t.Errorf("MemberPod(%q, %d) = %q, want %q", name, id, got, tc.host)
		}
	}
}
