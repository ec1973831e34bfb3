package ensemble

import (
	"context"
	"errors"
	"strconv"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// reconfigHere carries out a reconfig on the leader: parse, plan against
// the current membership, execute. It returns the log index up to which it
// has applied the changes.
func (n *Node) reconfigHere(ctx context.Context, joining, leaving, newMembers string) (wire.ErrCode, uint64) {
	specs, leaves, code := parseReconfig(joining, leaving, newMembers)
	if code != wire.ErrOK {
		return code, 0
	}
	if !n.IsLeader() {
		return wire.ErrNewConfigNoQuorum, 0
	}
	// ZooKeeper's order: a change under way, then the voters left.
	if !n.reconfigMu.TryLock() {
		return wire.ErrReconfigInProgress, 0
	}
	defer n.reconfigMu.Unlock()
	p, code := n.plan(specs, leaves, newMembers != "")
	if code != wire.ErrOK {
		return code, 0
	}
	return n.execute(ctx, p)
}

// execute carries out a plan in ZooKeeper's order: joiners, updated lines,
// the members leaving, this leader last.
func (n *Node) execute(ctx context.Context, p reconfigPlan) (wire.ErrCode, uint64) {
	for _, m := range p.joins {
		if code := n.join(ctx, m); code != wire.ErrOK {
			return code, 0
		}
	}
	for _, m := range p.updates {
		if code := n.update(ctx, m); code != wire.ErrOK {
			return code, 0
		}
	}
	self := false
	for _, id := range p.leaves {
		if id == n.cfg.ID {
			self = true
			continue
		}
		if code := n.leave(ctx, id); code != wire.ErrOK {
			return code, 0
		}
	}
	if self {
		return n.removeSelf(ctx)
	}
	// A change shows in the member table before the applied index passes
	// it: answer with the commit index, which covers it, once applied, so
	// the member that asked waits for the change too.
	index := n.commitIndex.Load()
	n.awaitApplied(ctx, index)
	return wire.ErrOK, index
}

// leave removes another member once its removal keeps a quorum.
func (n *Node) leave(ctx context.Context, id uint64) wire.ErrCode {
	// A leader elected a moment ago (the previous one handed over to be
	// removed) has not heard from every voter yet: give them an election
	// timeout to answer before the quorum check refuses.
	wctx, cancel := context.WithTimeout(ctx, n.cfg.electionTimeout())
	_ = n.waitUntil(wctx, func() bool { return n.removalKeepsQuorum(id) })
	cancel()
	if err := n.RemoveMember(ctx, id); err != nil && !errors.Is(err, ErrUnknownMember) {
		return reconfigCode(err)
	}
	return wire.ErrOK
}

// join adds a member as a learner and, unless it is an observer, promotes it
// once it has caught up.
func (n *Node) join(ctx context.Context, m MemberInfo) wire.ErrCode {
	observer := m.Learner
	if !observer && n.observerID(m.ID) {
		return reconfigCode(ErrObserverID)
	}
	if err := n.AddLearner(ctx, m); err != nil && !errors.Is(err, ErrMemberExists) {
		return reconfigCode(err)
	}
	if observer {
		return wire.ErrOK
	}
	if err := n.waitUntil(ctx, func() bool { return n.CaughtUp(m.ID) }); err != nil {
		return wire.ErrNewConfigNoQuorum
	}
	if err := n.Promote(ctx, m.ID); err != nil && !errors.Is(err, ErrNotLearner) {
		return reconfigCode(err)
	}
	return wire.ErrOK
}

// update records a member's new server line (addresses, election port, or an
// observer becoming a participant).
func (n *Node) update(ctx context.Context, m MemberInfo) wire.ErrCode {
	old, ok := n.member(m.ID)
	if !ok {
		return wire.ErrBadArguments
	}
	if old.Learner && !m.Learner {
		if n.observerID(m.ID) {
			return reconfigCode(ErrObserverID)
		}
		m.Learner = true
		if err := n.updateMember(ctx, m); err != nil {
			return reconfigCode(err)
		}
		if err := n.waitUntil(ctx, func() bool { return n.CaughtUp(m.ID) }); err != nil {
			return wire.ErrNewConfigNoQuorum
		}
		if err := n.Promote(ctx, m.ID); err != nil && !errors.Is(err, ErrNotLearner) {
			return reconfigCode(err)
		}
		return wire.ErrOK
	}
	if err := n.updateMember(ctx, m); err != nil {
		return reconfigCode(err)
	}
	return wire.ErrOK
}

// updateMember proposes a member's new addresses (Raft's configuration is
// unchanged: ConfChangeUpdateNode).
func (n *Node) updateMember(ctx context.Context, m MemberInfo) error {
	return n.proposeConfChange(ctx, pb.ConfChangeUpdateNode, m, func() bool { x, ok := n.member(m.ID); return ok && x == m })
}

// removeSelf removes the leader: it hands leadership to a caught-up voter,
// then asks the new leader to remove it, as for any follower, and answers
// once it has applied its removal (ZooKeeper's leader applies its own
// removal and steps down).
func (n *Node) removeSelf(ctx context.Context) (wire.ErrCode, uint64) {
	if err := n.Transfer(ctx, 0); err != nil {
		return reconfigCode(err), 0
	}
	rep, code := n.forwardReconfig(ctx, "", strconv.FormatUint(n.cfg.ID, 10), "")
	if code != wire.ErrOK {
		return code, 0
	}
	if rep.Code == int32(wire.ErrOK) {
		n.awaitApplied(ctx, rep.Index)
	}
	return wire.ErrCode(rep.Code), rep.Index
}
