package ensemble

import (
	"context"
	"fmt"
	"sync/atomic"

	pb "go.etcd.io/raft/v3/raftpb"
)

// A member whose log was lost (its volume deleted or replaced) while the
// leader still counts it as a voter is dangerous twice over. The leader's
// heartbeats carry a commit index up to what the member once acknowledged,
// beyond its now empty log, and Raft panics on that ("tocommit out of
// range"). Worse, its vote could elect a member that lacks entries the lost
// log had acknowledged, losing committed writes. Raft's answer is to remove
// the member and add it again: that resets the leader's record of what it
// holds, and it catches up from scratch as a learner. Until then a member:
//   - does not step a heartbeat whose commit is beyond its log, and reports
//     that it lost data (admin status dataLost, not ready) so the operator
//     replaces it at once;
//   - grants no vote while its log is empty: an empty log belongs either to
//     a new member, which joins as a learner and is never asked, or to a
//     lost one. (A leader elected since the loss tracks the member from
//     nothing and sends it the whole log, so it recovers without help.)

// dataLoss records the commit index a leader expected of this member's log.
type dataLoss struct {
	claimed atomic.Uint64 // highest commit index claimed beyond the log, 0: none
	logged  atomic.Bool
}

// step hands a peer's message to Raft, but for what a member with a lost
// log must not act on (above).
func (n *Node) step(ctx context.Context, m pb.Message) error {
	n.heardFrom(m.From)
	switch m.Type {
	case pb.MsgHeartbeat:
		if last := n.lastIndex(); m.Commit > last {
			n.noteDataLoss(m.From, m.Commit, last)
			return nil
		}
	case pb.MsgVote, pb.MsgPreVote:
		if n.lastIndex() == 0 {
			return nil
		}
	}
	return n.rn.Step(ctx, m)
}

func (n *Node) lastIndex() uint64 {
	i, _ := n.store.mem.LastIndex()
	return i
}

func (n *Node) noteDataLoss(leader, commit, last uint64) {
	for {
		old := n.loss.claimed.Load()
		if commit <= old || n.loss.claimed.CompareAndSwap(old, commit) {
			break
		}
	}
	if !n.loss.logged.Swap(true) {
		n.logger.Error("ensemble: the leader counts on log entries this member does not have: its data was lost; it must be removed from the configuration and added again",
			"leader", leader, "leaderCommit", commit, "lastIndex", last)
	}
}

// DataLost reports whether a leader counts on entries this member's log
// does not hold (it lost its data and must be replaced), and why.
func (n *Node) DataLost() error {
	c := n.loss.claimed.Load()
	if c == 0 {
		return nil
	}
	if last := n.lastIndex(); last < c {
		return fmt.Errorf("data lost: the leader counts on log entries up to %d, this member has %d; remove it from the configuration and add it again", c, last)
	}
	return nil
}
