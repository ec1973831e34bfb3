package transport

import (
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// TestRestartedPeerGetsTheFirstFrame: a member whose peer died drops its
// stream as soon as the peer's end closes, so the first frame for the peer
// once it is back (a vote in the election that follows) is not written into
// the dead connection and lost.
func TestRestartedPeerGetsTheFirstFrame(t *testing.T) {
	a := newNode(t, 1, "e", withSecret("s"))
	b := newNode(t, 2, "e", withSecret("s"))
	knows(a, b)
	a.t.Send([]pb.Message{heartbeat(1, 2)})
	b.raf.expect(t, "before the restart")
	addr := b.t.Addr()
	b.t.Close()
	for deadline := time.Now().Add(10 * time.Second); a.t.peerConnected(2); {
		if time.Now().After(deadline) {
			t.Fatal("the stream to a peer that died still holds its dead connection")
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	b2 := newNode(t, 2, "e", withSecret("s"), func(c *Config) { c.Listen = addr })
	knows(a, b2)
	a.t.Send([]pb.Message{heartbeat(1, 2)})
	b2.raf.expect(t, "the first frame after the restart")
}

// TestReservedKindsAreTheTransports: a member-defined frame may not take a
// kind the transport reads as its own (a snapshot chunk), which would close
// the peer's stream.
func TestReservedKindsAreTheTransports(t *testing.T) {
	a := newNode(t, 1, "e", withSecret("s"))
	for _, k := range []Kind{KindRaft, KindSnapshot} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SendRaw with kind %d did not refuse", k)
				}
			}()
			a.t.SendRaw(2, k, nil)
		}()
	}
}
