package ensemble

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// muteTowards drops every frame gone sends to to (its acknowledgements
// included) until the returned function is called.
func muteTowards(t *testing.T, gone, to *member) (heal func()) {
	t.Helper()
	gone.node.Transport().SetDrop(func(from, dst uint64) bool { return from == gone.cfg.ID && dst == to.cfg.ID })
	heal = func() { gone.node.Transport().SetDrop(nil) }
	t.Cleanup(heal)
	return heal
}

// awaitLearnsRemoval: the removed member applies its removal from the log (up
// to the removal's index, /zookeeper/config included) rather than stopping
// on a peer's refusal an election timeout or more later, which loses the
// answer to a reconfig it forwarded.
func awaitLearnsRemoval(t *testing.T, gone, leader *member) {
	t.Helper()
	waitFor(t, fmt.Sprintf("member %d learns its removal", gone.cfg.ID), func() bool { return gone.node.Removed() || gone.node.Err() != nil })
	leader.node.memberMu.Lock()
	index := leader.node.tombstones[gone.cfg.ID]
	leader.node.memberMu.Unlock()
	if err := gone.node.Err(); err != nil {
		t.Fatalf("member %d did not apply its removal (index %d; applied %d) but was stopped by a peer: %v",
			gone.cfg.ID, index, gone.node.appliedIndex.Load(), err)
	}
	waitFor(t, "the removed member applies up to its removal", func() bool { return gone.node.appliedIndex.Load() >= index })
}

// TestRemovedFollowerLearnsUnacknowledgedRemoval: the removal commits with
// the third member's acknowledgement while the removed member's are lost and
// the leader probes it (as after a stream error: Raft then sends it nothing
// more, not even the commit index, until it answers); the leader sends it
// the entries up to its removal.
func TestRemovedFollowerLearnsUnacknowledgedRemoval(t *testing.T) {
	ms := reconfigCluster(t)
	leader := waitLeader(t, ms)
	propose(t, leader, "before", "removal")
	waitConverged(t, ms, "before", "removal")
	gone := followers(ms, leader)[0]
	waitFor(t, "the leader knows the member caught up", func() bool {
		st := leader.node.rn.Status()
		return st.Progress[gone.cfg.ID].Match >= st.Commit
	})
	muteTowards(t, gone, leader)
	leader.node.rn.ReportUnreachable(gone.cfg.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code := leader.node.Reconfig(ctx, "", fmt.Sprint(gone.cfg.ID), ""); code != wire.ErrOK {
		t.Fatalf("removing member %d: %v", gone.cfg.ID, code)
	}
	awaitLearnsRemoval(t, gone, leader)
}

// TestRemovedOldLeaderLearnsItsRemoval drives the interleaving of removing
// the leader through a follower (test/compat): the leader hands over, and
// the new leader removes it before its first acknowledgement in the new term
// arrives (the third member's commits the change). The new leader waits for
// it, so that it can tell it.
func TestRemovedOldLeaderLearnsItsRemoval(t *testing.T) {
	ms := reconfigCluster(t)
	old := waitLeader(t, ms)
	next := followers(ms, old)[0]
	heal := muteTowards(t, old, next)
	// next campaigns as a transfer's target does; old votes (the vote is
	// lost), the third member elects it, and old follows it in silence.
	term := next.node.term.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := next.node.rn.Step(ctx, pb.Message{Type: pb.MsgTimeoutNow, From: old.cfg.ID, To: next.cfg.ID, Term: term}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new leader leads", func() bool { return next.node.IsLeader() && old.node.Leader() == next.cfg.ID })
	if pr := next.node.rn.Status().Progress[old.cfg.ID]; pr.Match != 0 {
		t.Fatalf("the old leader's acknowledgement arrived (match %d): the interleaving is not the one under test", pr.Match)
	}
	done := make(chan wire.ErrCode, 1)
	go func() { done <- next.node.Reconfig(ctx, "", fmt.Sprint(old.cfg.ID), "") }()
	// The removal commits at once without old's acknowledgement unless the
	// leader waits for it: let it through after a few ticks.
	for deadline := time.Now().Add(3 * next.cfg.TickInterval); time.Now().Before(deadline) && hasMember(next, old.cfg.ID); {
		time.Sleep(next.cfg.TickInterval / 4) // poll interval
	}
	heal()
	if code := <-done; code != wire.ErrOK {
		t.Fatalf("removing the old leader: %v", code)
	}
	awaitLearnsRemoval(t, old, next)
}
