package datatree

import (
	"bytes"
	"testing"
)

// A fresh tree counts its system nodes as ZooKeeper 3.8 does (mntr's
// zk_approximate_data_size of a fresh server is 44), and the figure
// survives a snapshot round trip.
func TestApproximateDataSizeCountsSystemNodes(t *testing.T) {
	fresh := New()
	if got := fresh.ApproximateDataSize(); got != 44 {
		t.Fatalf("fresh tree: approximate data size %d, ZooKeeper's is 44", got)
	}
	var buf bytes.Buffer
	if err := fresh.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.ApproximateDataSize(); got != fresh.ApproximateDataSize() {
		t.Fatalf("after a snapshot round trip: %d, before: %d", got, fresh.ApproximateDataSize())
	}
}
