package ensemble

import (
	"context"
	"errors"
	"testing"
	"time"
)

func joiner(t *testing.T, id uint64, peers map[uint64]string) *member {
	t.Helper()
	m := &member{cfg: Config{ID: id, Peers: peers, Join: true, DataDir: t.TempDir(), TickInterval: 20 * time.Millisecond,
		SnapshotCount: 1000, PublishConfig: true, EnsembleID: "test", Secret: testSecret, Logger: quietLogger()}}
	m.start(t)
	return m
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}

// TestGrowAndShrink grows an ensemble of one to three (learner, catch up,
// promote), moves leadership, removes the first member, and refuses a removal
// that would leave no quorum.
func TestGrowAndShrink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 1, 1000)
	first := ms[0]
	waitLeader(t, ms)
	for i := 0; i < 20; i++ {
		propose(t, first, "k"+string(rune('a'+i)), "v")
	}
	peers := map[uint64]string{1: first.cfg.Peers[1]}
	for id := uint64(2); id <= 3; id++ {
		peers[id] = freeAddr(t)
		m := joiner(t, id, map[uint64]string{1: peers[1], id: peers[id]})
		ms = append(ms, m)
		if err := first.node.Promote(ctx, id); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("promoting a member not yet added: %v", err)
		}
		if err := first.node.AddLearner(ctx, MemberInfo{ID: id, PeerAddr: peers[id], ClientAddr: "127.0.0.1:2181"}); err != nil {
			t.Fatalf("add learner %d: %v", id, err)
		}
		waitFor(t, "learner catches up", func() bool { return first.node.CaughtUp(id) })
		waitConverged(t, ms, "kt", "v")
		if err := first.node.Promote(ctx, id); err != nil {
			t.Fatalf("promote %d: %v", id, err)
		}
	}
	if got := len(first.node.Members()); got != 3 {
		t.Fatalf("members %v", first.node.Members())
	}
	for _, m := range first.node.Members() {
		if m.Learner {
			t.Fatalf("member %d is still a learner", m.ID)
		}
	}
	// Every member applied a /zookeeper/config change for every membership step.
	for _, m := range ms {
		m.sm.mu.Lock()
		n := m.sm.configs
		m.sm.mu.Unlock()
		if n < 3 {
			t.Errorf("member %d applied %d configuration transactions", m.cfg.ID, n)
		}
	}
	propose(t, ms[2], "grown", "yes")
	waitConverged(t, ms, "grown", "yes")

	// The quorum check: with member 3 silent, removing member 2 would leave
	// voters {1,3} of which only the leader answers.
	for _, m := range ms {
		m.node.Transport().SetDrop(func(from, to uint64) bool { return from == 3 || to == 3 })
	}
	waitFor(t, "member 3 seen inactive", func() bool {
		st := first.node.Status()
		return !first.node.answers(3, st.Progress[3], true)
	})
	if err := first.node.RemoveMember(ctx, 2); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("a removal that loses quorum: %v", err)
	}
	for _, m := range ms {
		m.node.Transport().SetDrop(nil)
	}

	// Leadership moves before the first member is removed.
	if err := first.node.RemoveMember(ctx, 1); !errors.Is(err, ErrRemoveLeader) {
		t.Fatalf("removing the leader: %v", err)
	}
	if err := first.node.Transfer(ctx, 3); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	third := ms[2]
	waitHears(t, third, ms[1]) // the new leader's quorum check counts only members it heard from
	if err := third.node.RemoveMember(ctx, 1); err != nil {
		t.Fatalf("remove 1: %v", err)
	}
	waitFor(t, "member 1 learns it was removed", first.node.Removed)
	rest := ms[1:]
	propose(t, third, "shrunk", "yes")
	waitConverged(t, rest, "shrunk", "yes")
	// Its directory now says so: a restart with that state is refused.
	first.node.Stop()
	if n, err := New(first.cfg); !errors.Is(err, ErrRemoved) {
		if n != nil {
			n.store.close()
			n.transport.Close()
		}
		t.Fatalf("restarting the removed first member: %v, want ErrRemoved", err)
	}
}

// TestRemovedMemberComesBack removes a member while it is down; when it
// restarts with its old state, the others tell it that it was removed and it
// stops with ErrRemoved; a second restart is refused at once. A member that
// applied its own removal is refused at restart too.
func TestRemovedMemberComesBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 3, 1000)
	leader := waitLeader(t, ms)
	propose(t, leader, "before", "removal")
	var gone *member
	for _, m := range ms {
		if m != leader {
			gone = m
			break
		}
	}
	gone.node.Stop()
	waitFor(t, "the leader sees the stopped member inactive", func() bool {
		return !leader.node.Status().Progress[gone.cfg.ID].RecentActive
	})
	for _, m := range ms {
		if m != gone && m != leader {
			waitHears(t, leader, m)
		}
	}
	if err := leader.node.RemoveMember(ctx, gone.cfg.ID); err != nil {
		t.Fatalf("remove: %v", err)
	}
	var rest []*member
	for _, m := range ms {
		if m != gone {
			rest = append(rest, m)
		}
	}
	waitFor(t, "every remaining member applied the removal", func() bool {
		for _, m := range rest {
			if _, ok := m.node.member(gone.cfg.ID); ok {
				return false
			}
		}
		return true
	})

	gone.start(t) // the old state still lists it as a voter
	select {
	case <-gone.node.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the removed member kept running with its old state")
	}
	if err := gone.node.Err(); !errors.Is(err, ErrRemoved) {
		t.Fatalf("the removed member stopped with %v, want ErrRemoved", err)
	}
	if n, err := New(gone.cfg); !errors.Is(err, ErrRemoved) {
		if n != nil {
			n.store.close()
			n.transport.Close()
		}
		t.Fatalf("restarting a removed member's directory: %v, want ErrRemoved", err)
	}
	// The ensemble it left goes on.
	propose(t, rest[0], "after", "removal")
	waitConverged(t, rest, "after", "removal")
}
