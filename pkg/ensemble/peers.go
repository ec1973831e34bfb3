package ensemble

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/ensemble/transport"
)

// raftPeer is the member's Raft node as the transport sees it.
type raftPeer struct{ n *Node }

func (r raftPeer) Process(ctx context.Context, m pb.Message) error { return r.n.step(ctx, m) }
func (r raftPeer) ReportUnreachable(id uint64)                     { r.n.rn.ReportUnreachable(id) }
func (r raftPeer) ReportSnapshot(id uint64, s raft.SnapshotStatus) {
	r.n.rn.ReportSnapshot(id, s)
}

// membersPeer answers the transport's questions about the configuration.
type membersPeer struct{ n *Node }

// Admit decides whether a peer may keep a stream to this member: a member
// of the configuration, or one of the members this member was started with
// (a joining member learns the configuration from them). A member removed
// from the configuration is told so. Any other id is refused, but where this
// member's configuration may be behind the ensemble's: a member that joins
// (its configuration is empty), restarts on a log older than the
// configuration, or follows a leader its log has not added yet admits a
// peer whose certificate proves its id (only the ensemble's CA issues
// those) while it knows no leader, or when that peer is the leader Raft
// follows.
func (p membersPeer) Admit(from uint64, proven bool) error {
	n := p.n
	n.memberMu.Lock()
	defer n.memberMu.Unlock()
	if _, ok := n.members[from]; ok {
		return nil
	}
	if i, ok := n.tombstones[from]; ok && n.appliedIndex.Load() >= n.commitIndex.Load() {
		// Only when this member has applied what it knows committed: a
		// re-addition of the id may be committed but not yet applied here.
		// A member removed a moment ago is still heard for removalGrace, so
		// that it applies its removal before it is told.
		if at, recent := n.removedAt[from]; recent && time.Since(at) < n.cfg.removalGrace() {
			return nil
		}
		return fmt.Errorf("%w: member %d was removed at log index %d", transport.ErrRemoved, from, i)
	}
	if _, ok := n.cfg.Peers[from]; ok {
		return nil
	}
	if lead := n.leader.Load(); proven && (lead == 0 || lead == from || len(n.members) == 0) {
		return nil
	}
	return fmt.Errorf("member %d is not in the configuration", from)
}

// Address is where a member is reached: the log's address, else the one it
// was started with, else (pods) its stable DNS name.
func (p membersPeer) Address(id uint64) string {
	n := p.n
	if m, ok := n.member(id); ok && m.PeerAddr != "" {
		return m.PeerAddr
	}
	if addr, ok := n.cfg.Peers[id]; ok {
		return addr
	}
	if n.cfg.PeerAddr != nil {
		return n.cfg.PeerAddr(id)
	}
	return ""
}

// errProposal is a proposal a peer may not make.
var errProposal = errors.New("ensemble: a proposal its sender may not make")

// CheckProposal vets a proposal a member forwards: only members of the
// configuration propose, only transactions (membership changes are the
// leader's own, through its admin API), each for the sender's own clients.
func (p membersPeer) CheckProposal(from uint64, m *pb.Message) error {
	if _, ok := p.n.member(from); !ok {
		return fmt.Errorf("%w: member %d is not in the configuration", errProposal, from)
	}
	for _, e := range m.Entries {
		if e.Type != pb.EntryNormal {
			return fmt.Errorf("%w: a %v entry", errProposal, e.Type)
		}
		if err := p.n.sm.CheckForwarded(from, e.Data); err != nil {
			return err
		}
	}
	return nil
}

// Removed: an authenticated peer reports that this member was removed from
// the configuration, which stops it for good.
func (p membersPeer) Removed(by uint64, reason string) {
	n := p.n
	n.logger.Error("ensemble: a peer reports that this member was removed from the configuration; stopping", "peer", by, "reason", reason)
	n.removed.Store(true)
	n.markRemoved()
	n.fail(fmt.Errorf("%w (member %d says: %s)", ErrRemoved, by, reason))
}
