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
		format       string // of the children's names
		add, removeN int
	}{
		{"empty", "c%06d", 0, 0},
		{"small", "c%06d", 5, 3},
		{"long names with a common prefix", "lock-%010d", 300, 100},
		{"names across the 8-byte prefix", "abcdefg%d", 1000, 700},
		{"at the slice limit", "c%06d", maxListChildren, maxListChildren / 2},
		{"past the limit", "c%06d", maxListChildren + 1, 1},
		{"past the limit and back", "member-%d", 3 * maxListChildren, 3*maxListChildren - 2},
		{"all removed", "c%06d", 2 * maxListChildren, 2 * maxListChildren},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := New()
			var n node
			want := map[string]bool{}
			for i := 0; i < tc.add; i++ {
				s := fmt.Sprintf(tc.format, (i*7919)%tc.add)
				tr.attach(&n, s, &node{})
				want[s] = true
			}
			check(t, &n, want)
			for i := 0; i < tc.removeN; i++ {
				s := fmt.Sprintf(tc.format, (i*7919)%tc.add)
				if !want[s] {
					s = fmt.Sprintf(tc.format, i)
				}
				tr.detach(&n, s)
				delete(want, s)
			}
			if n.children != nil {
				n.children.remove("missing")
			}
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
	if n.children != nil && n.children.set == nil && !sort.StringsAreSorted(got) {
		t.Fatalf("the slice of %d children is not sorted", len(got))
	}
	sort.Strings(got)
	for i, s := range got {
		if !want[s] || (i > 0 && got[i-1] == s) {
			t.Fatalf("names() has %q: unexpected or repeated", s)
		}
		if n.children.get(s) == nil {
			t.Fatalf("get(%q) finds nothing", s)
		}
	}
	if n.children.get("missing") != nil {
		t.Fatalf("get finds a child never added")
	}
}

// BenchmarkChildSetRemove removes and re-adds one child of a parent with
// size children: the slice scan below maxListChildren, the map above.
func BenchmarkChildSetRemove(b *testing.B) {
	for _, size := range []int{8, 128, maxListChildren, 4 * maxListChildren} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			tr := New()
			var n node
			names := make([]string, size)
			for i := range names {
				names[i] = fmt.Sprintf("n%04d", i)
				tr.attach(&n, names[i], &node{})
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := names[i%size]
				tr.detach(&n, s)
				tr.attach(&n, s, &node{})
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tr := New()
	mustCreate := func(p string) {
		if _, _, code := tr.Create(1, 0, 0, world, CreateOp{Path: p, ACL: OpenACLUnsafe, TTL: -1}); code != 0 {
			t.Fatalf("create %s: %v", p, code)
		}
	}
	mustCreate("/a")
	mustCreate("/a/b")
	cases := []struct {
		path  string
		found bool
	}{
		{"/", true}, {"/zookeeper", true}, {"/zookeeper/quota", true}, {"/zookeeper/config", true},
		{"/a", true}, {"/a/b", true},
		{"", false}, {"a", false}, {"a/b", false}, {"/a/", false}, {"//a", false}, {"/a//b", false},
		{"/a/b/", false}, {"/a/b/c", false}, {"/b", false}, {"/zookeeper/quota/x", false},
	}
	for _, tc := range cases {
		if got := tr.lookup(tc.path) != nil; got != tc.found {
			t.Errorf("lookup(%q) found = %v, want %v", tc.path, got, tc.found)
		}
	}
}
