package datatree

import (
	"bytes"
	"testing"
)

// FuzzReadSnapshot feeds ReadSnapshot damaged snapshots (a restore or a
// peer's transfer hands it bytes from outside): it must return an error or
// a tree that writes back and reads again as the same tree, never panic.
func FuzzReadSnapshot(f *testing.F) {
	tr := New()
	for _, p := range []string{"/a", "/a/b", "/a/bb", "/c"} {
		tr.Create(1, 0, 0, world, CreateOp{Path: p, Data: []byte("x"), ACL: OpenACLUnsafe, TTL: -1})
	}
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := got.WriteSnapshot(&out); err != nil {
			t.Fatal(err)
		}
		again, err := ReadSnapshot(&out)
		if err != nil {
			t.Fatalf("a snapshot written from a read one does not read: %v", err)
		}
		if again.NodeCount() != got.NodeCount() || again.ApproximateDataSize() != got.ApproximateDataSize() {
			t.Fatalf("round trip: %d nodes, %d bytes; want %d, %d", again.NodeCount(), again.ApproximateDataSize(), got.NodeCount(), got.ApproximateDataSize())
		}
	})
}
