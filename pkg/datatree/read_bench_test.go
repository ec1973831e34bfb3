package datatree

import (
	"fmt"
	"testing"
)

// benchTree is 100 parents of 1,000 children each (as cmd/zkbench's memory
// row, a tenth of it), with their paths.
func benchTree(b *testing.B) (*Tree, []string) {
	tr := New()
	mustCreateB(tr, "/m")
	var paths []string
	for p := 0; p < 100; p++ {
		mustCreateB(tr, fmt.Sprintf("/m/b%04d", p))
		for c := 0; c < 1000; c++ {
			path := fmt.Sprintf("/m/b%04d/n%04d", p, c)
			tr.Create(int64(p*1000+c+2), 0, 0, world, CreateOp{Path: path, Data: []byte("0123456789"), ACL: OpenACLUnsafe, TTL: -1})
			paths = append(paths, path)
		}
	}
	return tr, paths
}

// BenchmarkGetDataDeep is the tree's share of a read: find the node, check its
// ACL, build its stat.
func BenchmarkGetDataDeep(b *testing.B) {
	tr, paths := benchTree(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, code := tr.GetData(paths[(i*7919)%len(paths)], world, nil); code != 0 {
			b.Fatal(code)
		}
	}
}

// BenchmarkSetDataDeep is the tree's share of a write.
func BenchmarkSetDataDeep(b *testing.B) {
	tr, paths := benchTree(b)
	data := []byte("0123456789")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, code := tr.SetData(int64(i), 0, world, paths[(i*7919)%len(paths)], data, -1); code != 0 {
			b.Fatal(code)
		}
	}
}

// BenchmarkCreateDelete adds and removes a child of a parent with 1,000.
func BenchmarkCreateDelete(b *testing.B) {
	tr, _ := benchTree(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := fmt.Sprintf("/m/b%04d/x", i%100)
		tr.Create(int64(i), 0, 0, world, CreateOp{Path: p, ACL: OpenACLUnsafe, TTL: -1})
		if code := tr.Delete(int64(i), world, p, -1); code != 0 {
			b.Fatal(code)
		}
	}
}
