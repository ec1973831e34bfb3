package ensemble

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestObserverIDNeverPromoted adds a member whose id is an observer's as a
// learner; the leader refuses to promote it even once it has caught up, and
// it stays a learner that serves the replicated state.
func TestObserverIDNeverPromoted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	observer := func(id uint64) bool { return id >= 128 }
	ms := cluster(t, 1, 1000, func(c *Config) { c.ObserverID = observer })
	first := ms[0]
	waitLeader(t, ms)
	propose(t, first, "before", "v")
	const id = 128
	addr := freeAddr(t)
	o := &member{cfg: Config{ID: id, Peers: map[uint64]string{1: first.cfg.Peers[1], id: addr}, Join: true, DataDir: t.TempDir(),
		TickInterval: 20 * time.Millisecond, SnapshotCount: 1000, PublishConfig: true, EnsembleID: "test", Secret: testSecret,
		ObserverID: observer, Logger: quietLogger()}}
	o.start(t)
	ms = append(ms, o)
	if err := first.node.AddLearner(ctx, MemberInfo{ID: id, PeerAddr: addr, ClientAddr: "127.0.0.1:2181"}); err != nil {
		t.Fatalf("add learner %d: %v", id, err)
	}
	waitFor(t, "observer catches up", func() bool { return first.node.CaughtUp(id) })
	waitConverged(t, ms, "before", "v")
	if err := first.node.Promote(ctx, id); !errors.Is(err, ErrObserverID) {
		t.Fatalf("promote observer %d: %v, want ErrObserverID", id, err)
	}
	for _, m := range first.node.Members() {
		if m.ID == id && !m.Learner {
			t.Fatalf("observer %d became a voter", id)
		}
	}
	propose(t, first, "after", "v")
	waitConverged(t, ms, "after", "v")
}

// TestReconfigRefusesObserverAsParticipant: reconfig cannot make an id of
// the observers' range a participant, joining or already a learner.
func TestReconfigRefusesObserverAsParticipant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ms := cluster(t, 1, 1000, func(c *Config) { c.ObserverID = func(id uint64) bool { return id >= 128 } })
	ms[0].node.EnableReconfig()
	leader := waitLeader(t, ms)
	waitFor(t, "member in quorum", func() bool { return leader.node.Ready() == nil })
	addr := freeAddr(t)
	line := "server.128=" + addr + ":3888:participant;127.0.0.1:2181"
	if got := leader.node.Reconfig(ctx, line, "", ""); got != wire.ErrBadArguments {
		t.Fatalf("joining observer id as participant: %v", got)
	}
	if _, ok := leader.node.member(128); ok {
		t.Fatal("the refused join added the member")
	}
	// As an observer it may join; then it may not become a participant.
	o := &member{cfg: Config{ID: 128, Peers: map[uint64]string{1: leader.cfg.Peers[1], 128: addr}, Join: true, DataDir: t.TempDir(),
		TickInterval: 20 * time.Millisecond, SnapshotCount: 1000, PublishConfig: true, EnsembleID: "test", Secret: testSecret,
		ObserverID: leader.cfg.ObserverID, Logger: quietLogger()}}
	o.start(t)
	if got := leader.node.Reconfig(ctx, "server.128="+addr+":3888:observer;127.0.0.1:2181", "", ""); got != wire.ErrOK {
		t.Fatalf("joining as observer: %v", got)
	}
	waitFor(t, "observer catches up", func() bool { return leader.node.CaughtUp(128) })
	if got := leader.node.Reconfig(ctx, line, "", ""); got != wire.ErrBadArguments {
		t.Fatalf("observer made participant: %v", got)
	}
	if m, ok := leader.node.member(128); !ok || !m.Learner {
		t.Fatalf("member 128 is %+v, %v; want a learner", m, ok)
	}
}
