package sessionserver

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// handingOverLog is a LocalLog behind a leader that hands over: while
// dropping, proposals are lost as a Raft leader drops them during a
// transfer (nothing tells the proposer), and Term is the leader's term
// proposals go out in.
type handingOverLog struct {
	ready    chan struct{}
	local    *LocalLog
	term     atomic.Uint64
	dropping atomic.Bool
}

func newHandingOverLog() *handingOverLog {
	l := &handingOverLog{ready: make(chan struct{})}
	l.term.Store(1)
	return l
}

func (l *handingOverLog) attach(t *testing.T, sm StateMachine) {
	l.local = NewLocalLog(sm)
	t.Cleanup(l.local.Close)
	close(l.ready)
}

func (l *handingOverLog) Propose(ctx context.Context, data []byte) error {
	<-l.ready
	if l.dropping.Load() {
		return nil
	}
	return l.local.Propose(ctx, data)
}

func (l *handingOverLog) Barrier(ctx context.Context) error {
	<-l.ready
	return l.local.Barrier(ctx)
}

func (l *handingOverLog) Term() uint64 { return l.term.Load() }

// TestWriteLostWithTheLeader: a write whose proposal the leader dropped is
// given up where the next leader's term begins: its connection closes, the
// client gets a connection loss at once (not at its read timeout, 26 s for
// this 40 s session: its pings wait behind the write) and goes on with its
// session. A write proposed in the new term is not given up.
func TestWriteLostWithTheLeader(t *testing.T) {
	l := newHandingOverLog()
	s := startServer(t, func(c *Config) { c.TickTime = 2000 }, WithReplicatedLog(l))
	l.attach(t, s)
	c, _ := connectGoZK(t, s.Addr(), 40*time.Second)
	sid := c.SessionID()
	if _, err := c.Create("/a", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	l.dropping.Store(true)
	lost := make(chan error, 1)
	go func() { _, err := c.Set("/a", []byte("lost"), -1); lost <- err }()
	poll(t, 10*time.Second, "the write waiting", func() bool { return s.outstanding() == 1 })

	s.TermBegan(1) // a term that is not newer gives up nothing
	if n := s.outstanding(); n != 1 {
		t.Fatalf("after the same term began: %d requests waiting, want 1", n)
	}
	l.term.Store(2)
	l.dropping.Store(false)
	s.TermBegan(2)
	if n := s.outstanding(); n != 0 {
		t.Fatalf("after a new term began: %d requests waiting, want 0", n)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, zk.ErrConnectionClosed) {
			t.Fatalf("the lost write: %v, want a connection loss", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lost write is still waiting for a reply")
	}

	poll(t, 10*time.Second, "the session back", func() bool { return c.State() == zk.StateHasSession })
	if c.SessionID() != sid {
		t.Fatalf("session 0x%x after the reconnect, want 0x%x", c.SessionID(), sid)
	}
	if _, err := c.Set("/a", []byte("1"), -1); err != nil {
		t.Fatalf("a write in the new term: %v", err)
	}

	l.dropping.Store(true)
	go func() { _, err := c.Set("/a", []byte("2"), -1); lost <- err }()
	poll(t, 10*time.Second, "the second write waiting", func() bool { return s.outstanding() == 1 })
	s.TermBegan(2)
	if n := s.outstanding(); n != 1 {
		t.Fatalf("a write proposed in term 2 was given up when term 2 began again: %d waiting", n)
	}
}
