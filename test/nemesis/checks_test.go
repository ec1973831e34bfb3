package nemesis

import (
	"strings"
	"testing"
)

// TestCheckSequential: the end-of-run checks of sequential creates find a
// duplicated name, a lost acknowledged create and children nobody made.
func TestCheckSequential(t *testing.T) {
	for _, tc := range []struct {
		name    string
		acked   []string
		unknown int
		final   []string
		want    string // a violation containing this, or "" for none
	}{
		{"all there", []string{"/s/n-0000000000", "/s/n-0000000001"}, 0, []string{"n-0000000000", "n-0000000001"}, ""},
		{"an unknown create that happened", []string{"/s/n-0000000000"}, 1, []string{"n-0000000000", "n-0000000001"}, ""},
		{"an unknown create that did not happen", []string{"/s/n-0000000000"}, 1, []string{"n-0000000000"}, ""},
		{"a name given twice", []string{"/s/n-0000000000", "/s/n-0000000000"}, 0, []string{"n-0000000000"}, "given twice"},
		{"a lost create", []string{"/s/n-0000000000", "/s/n-0000000001"}, 0, []string{"n-0000000000"}, "is lost"},
		{"a child nobody made", []string{"/s/n-0000000000"}, 0, []string{"n-0000000000", "n-0000000001"}, "at most 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory()
			h.checkSequential(map[string][]string{"/s": tc.acked}, map[string]int{"/s": tc.unknown}, map[string][]string{"/s": tc.final})
			got := strings.Join(h.violations, "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("violations %q, want one with %q", got, tc.want)
			}
		})
	}
}

// TestSchedule: a seed gives the same schedule every time, each round has
// every kind of step, and a duration makes as many rounds as it needs.
func TestSchedule(t *testing.T) {
	for _, n := range []int{3, 5} {
		a, b := Schedule(42, n, 0), Schedule(42, n, 0)
		if len(a) != len(kinds) {
			t.Fatalf("one round has %d steps, want %d", len(a), len(kinds))
		}
		seen := map[string]bool{}
		for i := range a {
			if a[i].String() != b[i].String() {
				t.Fatalf("seed 42 gave %q then %q at step %d", a[i], b[i], i)
			}
			seen[kindOf(a[i])] = true
		}
		if len(seen) != len(kinds) {
			t.Fatalf("a round has kinds %v, want all of %v", seen, kinds)
		}
		if long := Schedule(42, n, 0); len(Schedule(42, n, 10*60*1e9)) <= len(long) {
			t.Fatalf("a 10-minute schedule is not longer than one round")
		}
	}
}

func kindOf(s Step) string {
	if s.Probe != nil {
		return s.Probe.kind()
	}
	return s.Fault.Kind()
}
