package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/serverspec"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// MemberInfo is what the log records about a member.
type MemberInfo struct {
	ID         uint64 `json:"id"`
	PeerAddr   string `json:"peer"`
	ClientAddr string `json:"client,omitempty"`
	Learner    bool   `json:"learner,omitempty"`
	// ElectionPort is the server line's election port, kept only so that
	// /zookeeper/config prints the line as configured (Raft uses PeerAddr
	// alone); 0 when the member was added without one.
	ElectionPort int `json:"electionPort,omitempty"`
}

// spec is the member's server line (pkg/serverspec).
func (m MemberInfo) spec() serverspec.Spec {
	s := serverspec.Spec{ID: m.ID, Observer: m.Learner}
	var err error
	if s.Host, s.QuorumPort, err = serverspec.SplitAddr(m.PeerAddr); err != nil {
		s.Host = m.PeerAddr
	}
	s.ElectionPort = m.ElectionPort
	if s.ElectionPort == 0 {
		s.ElectionPort = s.QuorumPort
	}
	if m.ClientAddr != "" {
		if host, port, err := serverspec.SplitAddr(m.ClientAddr); err == nil {
			s.ClientHost, s.ClientPort = host, port
		}
	}
	return s
}

// memberOf is what the log records of a server line.
func memberOf(s serverspec.Spec) MemberInfo {
	return MemberInfo{ID: s.ID, PeerAddr: s.QuorumAddr(), ClientAddr: s.ClientAddr(), Learner: s.Observer, ElectionPort: s.ElectionPort}
}

// ccContext travels in a configuration change: the member and the proposer's
// clock, so every member writes the same /zookeeper/config at the same zxid.
type ccContext struct {
	Member MemberInfo `json:"member"`
	Time   int64      `json:"time"`
}

// Membership errors, with the codes the admin API reports.
var (
	ErrNotLeader     = errors.New("ensemble: this member is not the leader")
	ErrUnknownMember = errors.New("ensemble: no such member")
	ErrMemberExists  = errors.New("ensemble: the member is already in the configuration")
	ErrNotLearner    = errors.New("ensemble: the member is not a learner")
	ErrObserverID    = errors.New("ensemble: the member's id is an observer's: it stays a learner and never votes")
	ErrNotCaughtUp   = errors.New("ensemble: the learner has not caught up with the leader")
	ErrNoQuorum      = errors.New("ensemble: the remaining voters could not form a quorum")
	ErrRemoveLeader  = errors.New("ensemble: transfer leadership before removing the leader")
)

// catchUpSlack is how far behind the leader's commit a learner may be and
// still count as caught up.
const catchUpSlack = 64

// Members returns the configuration, sorted by id.
func (n *Node) Members() []MemberInfo {
	n.memberMu.Lock()
	defer n.memberMu.Unlock()
	out := make([]MemberInfo, 0, len(n.members))
	for _, m := range n.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (n *Node) member(id uint64) (MemberInfo, bool) {
	n.memberMu.Lock()
	defer n.memberMu.Unlock()
	m, ok := n.members[id]
	return m, ok
}

// configLines renders the configuration in ZooKeeper's dynamic format, one
// "server.N=host:quorumPort:electionPort:participant|observer[;client]" line
// per member (pkg/serverspec). A member recorded without an election port
// (added through the admin API without one) shows its quorum port twice.
func configLines(members []MemberInfo) []byte {
	specs := make([]serverspec.Spec, len(members))
	for i, m := range members {
		specs[i] = m.spec()
	}
	return serverspec.Lines(specs)
}

// applyConfChange updates Raft, the member table and the transport, and
// returns the transaction that rewrites /zookeeper/config at this position.
func (n *Node) applyConfChange(e pb.Entry) (sessionserver.Entry, bool) {
	var cc pb.ConfChange
	if err := cc.Unmarshal(e.Data); err != nil {
		n.logger.Error("ensemble: undecodable configuration change", "index", e.Index, "err", err)
		return sessionserver.Entry{}, false
	}
	var cctx ccContext
	if len(cc.Context) > 0 && json.Unmarshal(cc.Context, &cctx) != nil {
		// A bootstrap entry of an older format carries the peer address only.
		cctx = ccContext{Member: MemberInfo{ID: cc.NodeID, PeerAddr: string(cc.Context)}}
	}
	n.memberMu.Lock()
	switch cc.Type {
	case pb.ConfChangeAddNode, pb.ConfChangeAddLearnerNode:
		m := cctx.Member
		m.ID = cc.NodeID
		m.Learner = cc.Type == pb.ConfChangeAddLearnerNode
		if old, ok := n.members[m.ID]; ok && m.PeerAddr == "" {
			m.PeerAddr, m.ClientAddr = old.PeerAddr, old.ClientAddr
		}
		n.members[m.ID] = m
		delete(n.tombstones, m.ID) // an id may be used again by a new, empty member
		delete(n.removedAt, m.ID)
		if m.ID == n.cfg.ID && n.removed.Swap(false) {
			// This member, joining afresh under an id used before, applied
			// the old removal on its way to its own addition.
			n.clearRemoved()
		}
		if m.PeerAddr != "" {
			n.transport.AddPeer(m.ID, m.PeerAddr)
		}
	case pb.ConfChangeUpdateNode:
		if old, ok := n.members[cc.NodeID]; ok {
			m := cctx.Member
			m.ID, m.Learner = cc.NodeID, old.Learner
			n.members[m.ID] = m
			if m.PeerAddr != "" {
				n.transport.AddPeer(m.ID, m.PeerAddr)
			}
		}
	case pb.ConfChangeRemoveNode:
		delete(n.members, cc.NodeID)
		n.tombstones[cc.NodeID] = e.Index
		n.removedAt[cc.NodeID] = time.Now()
		if cc.NodeID == n.cfg.ID {
			n.removed.Store(true)
			n.logger.Info("ensemble: this member was removed from the configuration; it serves nothing until it is stopped")
		} else {
			// What is queued for it still goes out: the commit index of its
			// removal, the answer to a reconfig it asked for.
			n.transport.RetirePeer(cc.NodeID, n.cfg.removalGrace())
		}
	}
	n.memberMu.Unlock()
	if cc.Type == pb.ConfChangeRemoveNode && cc.NodeID != n.cfg.ID && n.IsLeader() {
		n.tellRemoved(cc.NodeID, e.Index)
	}
	// Raft learns the change after the member table and the transport, so
	// the first messages to or from a new member find it known.
	n.confState = *n.rn.ApplyConfChange(cc)
	return sessionserver.Entry{Term: e.Term, Index: e.Index, Data: sessionserver.ConfigTxn(configLines(n.Members()), cctx.Time)}, true
}

// proposeConfChange proposes one membership change and waits until it is
// applied here. Changes go one at a time: Raft ignores a change proposed
// while another is pending.
func (n *Node) proposeConfChange(ctx context.Context, typ pb.ConfChangeType, m MemberInfo, done func() bool) error {
	n.confMu.Lock()
	defer n.confMu.Unlock()
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if done() {
		return nil
	}
	// Raft drops (as an empty entry) a change proposed while it still
	// counts the previous one pending, until the Ready that applied it is
	// advanced: wait for that, or the proposal would never apply.
	if err := n.waitUntil(ctx, func() bool { return n.advanced.Load() >= n.appliedIndex.Load() }); err != nil {
		return err
	}
	cctx, _ := json.Marshal(ccContext{Member: m, Time: time.Now().UnixMilli()})
	if err := n.rn.ProposeConfChange(ctx, pb.ConfChange{Type: typ, NodeID: m.ID, Context: cctx}); err != nil {
		return err
	}
	if err := n.waitUntil(ctx, func() bool { return done() || !n.IsLeader() }); err != nil {
		return err
	}
	if !done() {
		// The change may or may not commit under the next leader.
		return fmt.Errorf("%w: leadership moved while the change was pending; check the status", ErrNotLeader)
	}
	return nil
}

// AddLearner adds a non-voting member; it catches up from the leader. It
// returns once the change is committed and applied here.
func (n *Node) AddLearner(ctx context.Context, m MemberInfo) error {
	if _, ok := n.member(m.ID); ok {
		return ErrMemberExists
	}
	if m.ID == 0 || m.ID > 255 || m.PeerAddr == "" || m.ElectionPort < 0 || m.ElectionPort > 65535 {
		return fmt.Errorf("%w: a member needs an id 1..255, a peer address and an election port 1..65535 if any", errBadRequest)
	}
	m.Learner = true
	return n.proposeConfChange(ctx, pb.ConfChangeAddLearnerNode, m, func() bool { _, ok := n.member(m.ID); return ok })
}

// CaughtUp reports whether a member's log matches the leader's commit (leader only).
func (n *Node) CaughtUp(id uint64) bool {
	st := n.rn.Status()
	pr, ok := st.Progress[id]
	return ok && pr.Match+catchUpSlack >= st.Commit
}

// observerID reports whether id may never vote (Config.ObserverID).
func (n *Node) observerID(id uint64) bool { return n.cfg.ObserverID != nil && n.cfg.ObserverID(id) }

// Promote makes a caught-up learner a voter; never one whose id is an
// observer's.
func (n *Node) Promote(ctx context.Context, id uint64) error {
	m, ok := n.member(id)
	if !ok {
		return ErrUnknownMember
	}
	if !m.Learner {
		return ErrNotLearner
	}
	if n.observerID(id) {
		return ErrObserverID
	}
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if !n.CaughtUp(id) {
		return ErrNotCaughtUp
	}
	m.Learner = false
	return n.proposeConfChange(ctx, pb.ConfChangeAddNode, m, func() bool { x, ok := n.member(id); return ok && !x.Learner })
}

// RemoveMember removes a member, refusing when the voters left could not form
// a quorum of themselves from the members the leader hears from.
func (n *Node) RemoveMember(ctx context.Context, id uint64) error {
	m, ok := n.member(id)
	if !ok {
		return ErrUnknownMember
	}
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if id == n.cfg.ID {
		return ErrRemoveLeader
	}
	if !m.Learner && !n.removalKeepsQuorum(id) {
		return ErrNoQuorum
	}
	n.awaitAcknowledged(ctx, id) // so that it can be told (removaltell.go)
	return n.proposeConfChange(ctx, pb.ConfChangeRemoveNode, m, func() bool { _, ok := n.member(id); return !ok })
}

// removalKeepsQuorum: the voters left without id, counting only those the
// leader hears from, form a quorum of themselves.
func (n *Node) removalKeepsQuorum(id uint64) bool {
	st := n.rn.Status()
	voters, active := 0, 0
	for vid := range st.Config.Voters.IDs() {
		if vid == id {
			continue
		}
		voters++
		if pr, ok := st.Progress[vid]; n.answers(vid, pr, ok) {
			active++
		}
	}
	return active >= voters/2+1
}

// Transfer hands leadership to another voter (0: the most caught-up voter
// the leader hears from) and waits until it leads.
func (n *Node) Transfer(ctx context.Context, to uint64) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if to == 0 {
		st := n.rn.Status()
		var best uint64
		for vid := range st.Config.Voters.IDs() {
			pr, ok := st.Progress[vid]
			if vid == n.cfg.ID || !ok || !n.answers(vid, pr, ok) {
				continue
			}
			if best == 0 || pr.Match > st.Progress[best].Match {
				best = vid
			}
		}
		if best == 0 {
			return fmt.Errorf("%w: no other voter to take over", ErrNoQuorum)
		}
		to = best
	}
	if m, ok := n.member(to); !ok || m.Learner {
		return ErrUnknownMember
	}
	n.transferMu.Lock()
	n.transferring.Add(1)
	n.transferMu.Unlock()
	defer func() {
		if n.IsLeader() {
			// Given up: end Raft's transfer now, not an election timeout
			// later, since it drops proposals until then. (A transfer to
			// the leader itself aborts the one under way; Raft takes it
			// before any proposal sent after this returns.)
			n.rn.TransferLeadership(context.Background(), n.cfg.ID, n.cfg.ID)
		}
		n.transferring.Add(-1)
		n.changes.changed() // the proposer may go on
	}()
	for {
		// Raft aborts a transfer that takes longer than an election timeout:
		// ask again after one.
		if n.IsLeader() {
			n.rn.TransferLeadership(ctx, n.cfg.ID, to)
		}
		tctx, cancel := context.WithTimeout(ctx, n.cfg.electionTimeout())
		err := n.waitUntil(tctx, func() bool { return n.Leader() == to })
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

// StepDown hands leadership to another voter when this member leads and
// has one; a member about to stop or be removed calls it so the ensemble
// does not wait out an election timeout. It returns nil when there is
// nobody to hand over to (an ensemble of one).
func (n *Node) StepDown(ctx context.Context) error {
	if !n.IsLeader() {
		return nil
	}
	err := n.Transfer(ctx, 0)
	if errors.Is(err, ErrNoQuorum) {
		return nil
	}
	return err
}
