package ensemble

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// stateLog records every quorum state a member goes through, by notification.
type stateLog struct {
	ch   chan sessionserver.QuorumState
	stop chan struct{}
}

func watchStates(t *testing.T, n *Node) *stateLog {
	l := &stateLog{ch: make(chan sessionserver.QuorumState, 64), stop: make(chan struct{})}
	go func() {
		for {
			st, changed := n.QuorumState()
			select {
			case l.ch <- st:
			case <-l.stop:
				return
			}
			select {
			case <-changed:
			case <-l.stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(l.stop) })
	return l
}

// await returns once the member reaches want; it fails on the deadline.
func (l *stateLog) await(t *testing.T, who string, want sessionserver.QuorumState) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case st := <-l.ch:
			if st == want {
				return
			}
		case <-deadline:
			t.Fatalf("%s never became %s", who, want)
		}
	}
}

func waitInQuorum(t *testing.T, ms ...*member) {
	t.Helper()
	for _, m := range ms {
		watchStates(t, m.node).await(t, fmt.Sprintf("member %d", m.cfg.ID), sessionserver.InQuorum)
	}
}

// TestQuorumFollowersLoseTheirLeader: when the leader dies its followers
// stop serving (its streams end at once; no new leader can be elected within
// an election timeout, longer than the grace), and serve again once a new
// leader is elected and they caught up.
func TestQuorumFollowersLoseTheirLeader(t *testing.T) {
	ms := cluster(t, 3, 1000)
	leader := waitLeader(t, ms)
	waitInQuorum(t, ms...)
	fs := followers(ms, leader)
	logs := []*stateLog{watchStates(t, fs[0].node), watchStates(t, fs[1].node)}
	leader.node.Stop()
	for i, f := range fs {
		logs[i].await(t, fmt.Sprintf("follower %d", f.cfg.ID), sessionserver.NoQuorum)
	}
	for i, f := range fs {
		logs[i].await(t, fmt.Sprintf("follower %d", f.cfg.ID), sessionserver.InQuorum)
	}
	propose(t, waitLeader(t, fs), "new", "leader")
}

// TestQuorumLeaderLosesItsFollowers: a leader that no longer hears from a
// majority stops serving before Raft's CheckQuorum makes it step down, and
// a member cut off without its streams breaking (messages dropped) does too.
func TestQuorumLeaderLosesItsFollowers(t *testing.T) {
	t.Run("followers stopped", func(t *testing.T) {
		ms := cluster(t, 3, 1000)
		leader := waitLeader(t, ms)
		waitInQuorum(t, ms...)
		l := watchStates(t, leader.node)
		for _, f := range followers(ms, leader) {
			f.node.Stop()
		}
		l.await(t, "the leader", sessionserver.NoQuorum)
	})
	t.Run("partitioned", func(t *testing.T) {
		ms := cluster(t, 3, 1000)
		leader := waitLeader(t, ms)
		waitInQuorum(t, ms...)
		l := watchStates(t, leader.node)
		cut := func(from, to uint64) bool { return from == leader.cfg.ID || to == leader.cfg.ID }
		for _, m := range ms {
			m.node.Transport().SetDrop(cut)
		}
		l.await(t, "the isolated leader", sessionserver.NoQuorum)
		if err := leader.node.Ready(); err == nil {
			t.Fatal("a member without a quorum reports ready")
		}
		for _, m := range ms {
			m.node.Transport().SetDrop(nil)
		}
		l.await(t, "the healed member", sessionserver.InQuorum)
	})
}

// TestQuorumOutside: a member outside the configuration serves nothing: one
// waiting to be added, until it is added and caught up; one removed, for good.
func TestQuorumOutside(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 1, 1000)
	first := ms[0]
	waitLeader(t, ms)
	waitInQuorum(t, first)
	peers := map[uint64]string{1: first.cfg.Peers[1], 2: freeAddr(t)}
	j := joiner(t, 2, peers)
	l := watchStates(t, j.node)
	l.await(t, "the joining member", sessionserver.Outside)
	if err := first.node.AddLearner(ctx, MemberInfo{ID: 2, PeerAddr: peers[2]}); err != nil {
		t.Fatal(err)
	}
	l.await(t, "the added learner", sessionserver.InQuorum)
	if err := first.node.RemoveMember(ctx, 2); err != nil {
		t.Fatal(err)
	}
	l.await(t, "the removed member", sessionserver.Outside)
	waitInQuorum(t, first)
}
