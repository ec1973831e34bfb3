package sessionserver

import (
	"sync/atomic"
	"time"
)

// QuorumState is a member's place in its ensemble, as far as serving clients
// goes (ZooKeeper serves only while it follows a leader with a quorum).
type QuorumState int32

const (
	// InQuorum: the member leads a quorum, or follows a leader it hears
	// from, and has applied what that leader committed in its term. Serve.
	InQuorum QuorumState = iota
	// Settling: briefly not in quorum (an election, a leadership transfer,
	// catching up with a new leader). Take no new sessions; keep the
	// connections, which a transfer would otherwise break for nothing.
	Settling
	// NoQuorum: cut off from a quorum, or settling for too long. Close the
	// connections and take no sessions, but read-only ones when
	// readonlymode.enabled is set.
	NoQuorum
	// Outside: not a member of the configuration (removed, or not yet
	// added). Serve nothing.
	Outside
)

func (q QuorumState) String() string {
	switch q {
	case InQuorum:
		return "in quorum"
	case Settling:
		return "settling"
	case NoQuorum:
		return "no quorum"
	case Outside:
		return "outside the configuration"
	}
	return "unknown"
}

// Quorum is implemented by a Log whose member can lose touch with its
// ensemble (pkg/ensemble). The server follows it when its Log does.
type Quorum interface {
	// QuorumState is the member's state now, and a channel closed at the
	// next change.
	QuorumState() (QuorumState, <-chan struct{})
}

// notServing is what ZooKeeper's four-letter words and AdminServer print
// while the server is not running (an election, no quorum).
const notServing = "This ZooKeeper instance is not currently serving requests"

// retireTimeout bounds how long a connection of a member that stopped
// serving waits for a reconfig in flight (one that removed this member is
// answered before its connection closes).
const retireTimeout = time.Second

// quorumWatch is the server's copy of its log's quorum state.
type quorumWatch struct {
	state atomic.Int32 // QuorumState; InQuorum for a standalone log
}

func (s *Server) quorumState() QuorumState { return QuorumState(s.qw.state.Load()) }

// serving reports whether the member takes sessions and answers them.
func (s *Server) serving() bool { return s.quorumState() == InQuorum }

// watchQuorum follows the log's quorum state (by notification) until the
// server stops.
func (s *Server) watchQuorum() {
	q, ok := s.rlog.(Quorum)
	if !ok {
		return
	}
	st, ch := q.QuorumState()
	s.qw.state.Store(int32(st))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-ch:
			case <-s.ctx.Done():
				return
			}
			st, ch = q.QuorumState()
			s.setQuorumState(st)
		}
	}()
}

// setQuorumState acts on a change: a member that loses its quorum (or its
// place in the configuration) closes its clients' connections so they move
// to a member that has one, as ZooKeeper does; read-only sessions end when
// the quorum returns.
func (s *Server) setQuorumState(st QuorumState) {
	old := QuorumState(s.qw.state.Swap(int32(st)))
	if old == st {
		return
	}
	s.logger.Info("quorum state", "from", old.String(), "to", st.String())
	s.quorumChanged(old, st)
	switch st {
	case NoQuorum, Outside:
		s.retireConns(func(c *conn) bool { return !c.ro.Load() && !c.held.Load() })
	}
	s.readOnlyFollow(st)
}

// retireConns retires the connections that match.
func (s *Server) retireConns(match func(c *conn) bool) {
	for _, c := range s.connList() {
		if match(c) {
			c.retire()
		}
	}
}

// retire closes the connection at once, as ZooKeeper does (what is in
// flight fails with a connection loss), but for a reconfig in flight: its
// reply is sent first (bounded by retireTimeout), since the change it made
// may be what took this member out. New requests on it are not served.
func (c *conn) retire() {
	if c.retiring.Swap(true) {
		return
	}
	c.mu.Lock()
	if len(c.queue) == 0 || c.reconfigs.Load() == 0 {
		c.flushClose = true
		c.signal()
	}
	c.mu.Unlock()
	go func() {
		t := time.NewTimer(retireTimeout)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			c.close()
		}
	}()
}

// afterDrainLocked closes a retiring connection once its queue is empty.
// Called with c.mu held.
func (c *conn) afterDrainLocked() {
	if len(c.queue) == 0 && c.retiring.Load() {
		c.flushClose = true
		c.signal()
	}
}

// notServingOutput is what ZooKeeper answers to a four-letter word while it
// is not running (an election, no quorum): most print notServing, isro
// "null"; ruok, envi and gtmk answer as usual. A read-only member runs.
func (s *Server) notServingOutput(cmd string) (string, bool) {
	if s.serving() || s.readOnlyActive() {
		return "", false
	}
	switch cmd {
	case "ruok", "envi", "gtmk":
		return "", false
	case "isro":
		return "null", true
	}
	return notServing + "\n", true
}

// commandNeedsServing: the AdminServer command can only answer while the
// member serves (ZooKeeper's CommandBase.isServerRequired).
func (s *Server) commandNeedsServing(primary string) bool {
	if s.serving() || s.readOnlyActive() {
		return false
	}
	switch primary {
	case "ruok", "environment", "is_read_only":
		return false
	}
	return true
}

// modeText is srvr's Mode: the log's role, or "read-only".
func (s *Server) modeText() string {
	if s.readOnlyActive() {
		return "read-only"
	}
	return s.mode().String()
}
