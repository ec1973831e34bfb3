package ensemble

import (
	"context"
	"errors"
	"testing"
	"time"
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
