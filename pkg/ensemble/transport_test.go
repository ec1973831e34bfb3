package ensemble

import (
	"context"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// TestProposalDoesNotBlockStream: a member that knows no leader cannot take
// a forwarded proposal (Raft's Step waits for a leader). The stream must go
// on: the append behind the proposal is how the member learns the leader.
func TestProposalDoesNotBlockStream(t *testing.T) {
	a, err := newTransport(1, "e", freeAddr(t), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan pb.MessageType, 10)
	// As raft's node.Step without a leader: a proposal waits for the context.
	a.recv = func(ctx context.Context, m pb.Message) error {
		if m.Type == pb.MsgProp {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(30 * time.Second): // bounded, so a failing test ends
				return nil
			}
		}
		got <- m.Type
		return nil
	}
	a.start()
	t.Cleanup(a.close)
	b, err := newTransport(2, "e", freeAddr(t), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	b.report = func(uint64, pb.Message, error) {}
	b.recv = func(context.Context, pb.Message) error { return nil }
	b.start()
	t.Cleanup(b.close)
	b.AddPeer(1, a.Addr())
	b.Send([]pb.Message{
		{Type: pb.MsgProp, From: 2, To: 1, Entries: []pb.Entry{{Data: []byte("x")}}},
		{Type: pb.MsgApp, From: 2, To: 1, Term: 4},
	})
	select {
	case typ := <-got:
		if typ != pb.MsgApp {
			t.Fatalf("delivered %v", typ)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the append behind an untakeable proposal was never delivered")
	}
}
