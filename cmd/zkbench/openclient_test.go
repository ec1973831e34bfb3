package main

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestPipeSessionFramesAndOrder issues requests on one session over an
// in-memory connection, answers them on the far end in order (the last one
// with an error code), and checks that every request was written as its
// own frame and that the replies complete the right requests.
func TestPipeSessionFramesAndOrder(t *testing.T) {
	near, far := net.Pipe()
	t.Cleanup(func() { near.Close(); far.Close() })
	c := &pipeClient{sessions: []*pipeSession{newPipeSession(near)}, encode: func(e *wire.Encoder, _, k int) {
		(&wire.RequestHeader{Xid: int32(k + 1), Type: wire.OpGetData}).Encode(e)
		(&wire.PathWatchRequest{Path: "/p"}).Encode(e)
	}}
	type done struct {
		k      int
		failed bool
	}
	got := make(chan done, 16)
	c.start(func(k int, failed bool) { got <- done{k, failed} })
	batches := [][]int{{7, 8, 9}, {10}, {11, 12}}
	xids := make(chan int32, 16)
	go func() { // the far end: read frames, reply to each in order
		for range 6 {
			b, err := wire.ReadFrame(far, nil, 1<<16)
			if err != nil {
				close(xids)
				return
			}
			xid := int32(binary.BigEndian.Uint32(b))
			xids <- xid
			code := int32(0)
			if xid == 13 {
				code = int32(wire.ErrNoNode)
			}
			reply := binary.BigEndian.AppendUint32(nil, uint32(xid))
			reply = binary.BigEndian.AppendUint64(reply, 1)
			reply = binary.BigEndian.AppendUint32(reply, uint32(code))
			if _, err := far.Write(wire.AppendFrame(nil, reply)); err != nil {
				return
			}
		}
	}()
	var want []int
	for _, b := range batches {
		for _, k := range b {
			if err := c.issue(0, k); err != nil {
				t.Fatal(err)
			}
			want = append(want, k)
		}
		go c.flush() // net.Pipe is unbuffered: the write waits for the reader
	}
	deadline := time.After(10 * time.Second)
	for i, k := range want {
		select {
		case x := <-xids:
			if int(x) != k+1 {
				t.Errorf("frame %d has xid %d, want %d", i, x, k+1)
			}
		case <-deadline:
			t.Fatalf("frame %d (request %d) never written", i, k)
		}
		select {
		case d := <-got:
			if d.k != k || d.failed != (k == 12) {
				t.Errorf("completion %d = %+v, want request %d failed %v", i, d, k, k == 12)
			}
		case <-deadline:
			t.Fatalf("request %d never completed", k)
		}
	}
}
