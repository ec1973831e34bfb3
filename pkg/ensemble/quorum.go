package ensemble

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/raft/v3/tracker"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Whether this member may serve clients (sessionserver.Quorum). Raft alone
// does not say: with PreVote a partitioned follower keeps the leader it
// last knew, and a leader with CheckQuorum steps down only after an election
// timeout. So the member keeps its own record of contact: when it last heard
// from each peer, and whether a stream from the peer is up (a killed member
// takes its streams with it at once). A follower is in touch while it hears
// from its leader; a leader while it hears from a majority of the voters,
// itself included. In touch, knowing a leader, and having applied an entry of
// the leader's term (a new leader's first entry: it has a quorum and this
// member caught up with it), the member is InQuorum. Otherwise it is Settling
// for up to quorumGrace (a leadership transfer passes unnoticed), then
// NoQuorum; a member outside the configuration is Outside.

// quorumGrace is how long a member may be out of touch before it closes its
// clients' connections (ZooKeeper's follower does at once when its leader's
// connection breaks; its leader within a tick).
func (c *Config) quorumGrace() time.Duration { return 3 * c.TickInterval }

// quorum is the member's record of contact and the state it implies.
type quorum struct {
	mu      sync.Mutex
	heard   map[uint64]time.Time // last message from each peer
	streams map[uint64]int       // inbound streams up, per peer
	downAt  map[uint64]time.Time // when a peer's last stream ended (none up since)
	state   sessionserver.QuorumState
	since   time.Time // when the member stopped being in quorum
	changed chan struct{}
	stopped bool
	// forcedTerm is the term in which this member last campaigned because
	// its leader's streams were gone (failover.go).
	forcedTerm uint64
	// probed is when a member without a quorum last probed its peers.
	probed time.Time
}

func (q *quorum) init(now time.Time) {
	q.heard, q.streams, q.downAt = map[uint64]time.Time{}, map[uint64]int{}, map[uint64]time.Time{}
	q.state, q.since, q.changed = sessionserver.Settling, now, make(chan struct{})
}

// QuorumState is the member's state and a channel closed at the next change.
func (n *Node) QuorumState() (sessionserver.QuorumState, <-chan struct{}) {
	q := &n.quorum
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.state, q.changed
}

// heardFrom records a message from a peer.
func (n *Node) heardFrom(id uint64) {
	now := time.Now()
	n.quorum.mu.Lock()
	n.quorum.heard[id] = now
	n.quorum.mu.Unlock()
}

// streamChanged records a peer's stream starting or ending (transport).
func (n *Node) streamChanged(id uint64, up bool) {
	q := &n.quorum
	q.mu.Lock()
	if up {
		q.streams[id]++
		delete(q.downAt, id)
	} else if q.streams[id]--; q.streams[id] <= 0 {
		delete(q.streams, id)
		q.downAt[id] = time.Now()
	}
	q.mu.Unlock()
	n.evalQuorum()
}

// evalQuorum recomputes the state (on every tick, leader or term change,
// applied term change, stream change) and wakes the watchers on a change.
func (n *Node) evalQuorum() {
	now := time.Now()
	q := &n.quorum
	q.mu.Lock()
	defer q.mu.Unlock()
	var st sessionserver.QuorumState
	switch inTouch, member := n.inTouchLocked(now); {
	case q.stopped || !member:
		st = sessionserver.Outside
	case inTouch:
		st, q.since = sessionserver.InQuorum, time.Time{}
	default:
		if q.since.IsZero() {
			q.since = now
		}
		st = sessionserver.Settling
		if now.Sub(q.since) >= n.cfg.quorumGrace() {
			st = sessionserver.NoQuorum
		}
	}
	force := n.leaderGoneLocked(now)
	probe := st == sessionserver.NoQuorum && now.Sub(q.probed) >= n.cfg.electionTimeout()
	if probe {
		q.probed = now
	}
	defer func() {
		if force != 0 {
			go n.campaignNow(force)
		}
		if probe {
			go n.probePeers()
		}
	}()
	if st != q.state {
		n.logger.Info("ensemble: quorum state", "from", q.state.String(), "to", st.String(), "leader", n.leader.Load(),
			"term", n.term.Load(), "appliedTerm", n.appliedTerm.Load(), "peers", n.contactLocked(now))
		q.state = st
		close(q.changed)
		q.changed = make(chan struct{})
	}
}

// inTouchLocked says whether the member is in touch with a quorum through a
// leader it has caught up with, and whether it is a member at all.
func (n *Node) inTouchLocked(now time.Time) (inTouch, member bool) {
	if n.removed.Load() {
		return false, false
	}
	n.memberMu.Lock()
	defer n.memberMu.Unlock()
	self, ok := n.members[n.cfg.ID]
	if !ok {
		return false, false
	}
	lead := n.leader.Load()
	if lead == 0 || n.appliedTerm.Load() < n.term.Load() || n.DataLost() != nil {
		return false, true
	}
	if lead != n.cfg.ID {
		return n.freshLocked(lead, now), true
	}
	if self.Learner {
		return false, true
	}
	voters, live := 0, 0
	for id, m := range n.members {
		if m.Learner {
			continue
		}
		voters++
		if id == n.cfg.ID || n.freshLocked(id, now) {
			live++
		}
	}
	return live >= voters/2+1, true
}

// freshLocked: a stream from the peer is up and it spoke within an election
// timeout (Raft's own measure of a silent peer). Called with quorum.mu held.
func (n *Node) freshLocked(id uint64, now time.Time) bool {
	return n.quorum.streams[id] > 0 && now.Sub(n.quorum.heard[id]) < n.cfg.electionTimeout()
}

// answers reports whether the leader may count voter id as answering it:
// Raft's RecentActive, or a message from id within an election timeout
// over a stream that is up. Raft clears every follower's RecentActive at
// each election timeout (its CheckQuorum) and sets it again at the
// follower's next message, so RecentActive alone, read at that instant,
// showed healthy followers silent (the planner then refused a scale-up).
func (n *Node) answers(id uint64, pr tracker.Progress, ok bool) bool {
	if id == n.cfg.ID || (ok && pr.RecentActive) {
		return true
	}
	n.quorum.mu.Lock()
	defer n.quorum.mu.Unlock()
	return n.freshLocked(id, time.Now())
}

// contactLocked describes the contact with each peer, for the log: the age
// of its last message and its streams up. Called with quorum.mu held.
func (n *Node) contactLocked(now time.Time) string {
	ids := make([]uint64, 0, len(n.quorum.heard))
	for id := range n.quorum.heard {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%d:%s/%d ", id, now.Sub(n.quorum.heard[id]).Round(time.Millisecond), n.quorum.streams[id])
	}
	return strings.TrimSpace(b.String())
}

// probePeers sends every other member a probe: a member removed while it
// was cut off (or a learner, which never campaigns) is refused, and so told.
func (n *Node) probePeers() {
	for _, m := range n.Members() {
		if m.ID != n.cfg.ID {
			n.transport.SendRaw(m.ID, kindProbe, nil)
		}
	}
}

// stopQuorum makes a stopped member Outside for good.
func (n *Node) stopQuorum() {
	n.quorum.mu.Lock()
	n.quorum.stopped = true
	n.quorum.mu.Unlock()
	n.evalQuorum()
}
