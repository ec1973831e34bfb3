package ensemble

import (
	"context"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// How a removed member learns its removal from the log. Raft's leader stops
// replicating to a member the moment it applies that member's removal, so a
// member that had not acknowledged the removal entry by then (a leader that
// handed over a moment ago, whose first answer to the new leader was still
// on its way while the third member's acknowledgement committed the change)
// never receives it: it drops out of touch, learns of its removal from a
// peer's refusal an election timeout or more later, and stops at once,
// before it applies the change or relays the answer to the reconfig it
// forwarded. So the leader first waits (an election timeout at most) until
// the member has acknowledged everything committed, then, applying the
// removal, sends the member the entries it lacks up to the removal with
// that commit index, from the position it acknowledged.

// awaitAcknowledged waits, an election timeout at most, until member id has
// acknowledged what this leader has committed; not at all for a member the
// leader does not hear from (one that is down is removed at once, and
// learns of it from a peer's refusal when it comes back).
func (n *Node) awaitAcknowledged(ctx context.Context, id uint64) {
	st := n.rn.Status()
	if pr, ok := st.Progress[id]; !n.answers(id, pr, ok) {
		return
	}
	commit := st.Commit
	wctx, cancel := context.WithTimeout(ctx, n.cfg.electionTimeout())
	defer cancel()
	_ = n.waitUntil(wctx, func() bool {
		st := n.rn.Status()
		pr, ok := st.Progress[id]
		return !ok || st.RaftState != raft.StateLeader || pr.Match >= commit
	})
}

// tellRemoved sends a member being removed the commit index of its removal,
// which Raft, dropping it from the configuration now, would not send, and the
// entries up to it that the member has not acknowledged: it applies its
// removal (and stops serving, answers a reconfig it asked for) instead of
// waiting to be refused. Nothing when it acknowledged nothing in this term
// (the entries could not be placed in its log), the leader does not hear
// from it (it is told when it comes back), or the entries are compacted.
func (n *Node) tellRemoved(id, index uint64) {
	st := n.rn.Status()
	pr, ok := st.Progress[id]
	if !ok || pr.Match == 0 || !n.answers(id, pr, ok) {
		return
	}
	if pr.Match >= index {
		n.transport.Send([]pb.Message{{Type: pb.MsgHeartbeat, From: n.cfg.ID, To: id, Term: st.Term, Commit: index}})
		return
	}
	if m, ok := n.removalAppend(id, pr.Match, index, st.Term); ok {
		n.transport.Send([]pb.Message{m})
	}
}

// removalAppend is the append that brings a member from match, a position
// it acknowledged, to index, committed.
func (n *Node) removalAppend(id, match, index, term uint64) (pb.Message, bool) {
	logTerm, err := n.store.mem.Term(match)
	if err != nil {
		return pb.Message{}, false
	}
	ents, err := n.store.mem.Entries(match+1, index+1, uint64(n.cfg.maxFrame()/2))
	if err != nil || len(ents) == 0 || ents[len(ents)-1].Index != index {
		return pb.Message{}, false
	}
	return pb.Message{Type: pb.MsgApp, From: n.cfg.ID, To: id, Term: term, Index: match, LogTerm: logTerm, Entries: ents, Commit: index}, true
}
