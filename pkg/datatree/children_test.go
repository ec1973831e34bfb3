package datatree

import (
	"fmt"
	"sort"
	"testing"
	"unsafe"
)

func TestNodeFitsItsSizeClass(t *testing.T) {
	if got := unsafe.Sizeof(node{}); got > 96 {
		t.Fatalf("node is %d bytes, want at most 96 (a Go size class; the next is 112)", got)
	}
}

// TestChildSet adds and removes names across the switch from slice to map
// and back, and checks the set against a plain map after every step.
func TestChildSet(t *testing.T) {
	cases := []struct {
		name         string
		add, removeN int
	}{
		{"empty", 0, 0},
		{"small", 5, 3},
		{"at the slice limit", maxListChildren, maxListChildren / 2},
		{"past the limit", maxListChildren + 1, 1},
		{"past the limit and back", 3 * maxListChildren, 3*maxListChildren - 2},
		{"all removed", 2 * maxListChildren, 2 * maxListChildren},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n node
			want := map[string]bool{}
			for i := 0; i < tc.add; i++ {
				s := fmt.Sprintf("c%06d", i)
				n.addChild(s)
				want[s] = true
			}
			check(t, &n, want)
			for i := 0; i < tc.removeN; i++ {
				s := fmt.Sprintf("c%06d", (i*7919)%tc.add)
				if !want[s] {
					s = fmt.Sprintf("c%06d", i)
				}
				n.removeChild(s)
				delete(want, s)
			}
			n.removeChild("missing")
			check(t, &n, want)
			if len(want) == 0 && n.children != nil {
				t.Errorf("an empty child set is kept")
			}
		})
	}
}

func check(t *testing.T, n *node, want map[string]bool) {
	t.Helper()
	if n.numChildren() != len(want) {
		t.Fatalf("numChildren = %d, want %d", n.numChildren(), len(want))
	}
	got := n.children.names()
	sort.Strings(got)
	for i, s := range got {
		if !want[s] || (i > 0 && got[i-1] == s) {
			t.Fatalf("names() has %q: unexpected or repeated", s)
		}
	}
}

// BenchmarkChildSetRemove removes and re-adds one child of a parent with
// size children: the slice scan below maxListChildren, the map above.
func BenchmarkChildSetRemove(b *testing.B) {
	for _, size := range []int{8, 128, maxListChildren, 4 * maxListChildren} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			var n node
			names := make([]string, size)
			for i := range names {
				names[i] = fmt.Sprintf("n%04d", i)
				n.addChild(names[i])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := names[i%size]
				n.removeChild(s)
				n.addChild(s)
			}
		})
	}
}
