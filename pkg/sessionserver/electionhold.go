package sessionserver

import (
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessions"
)

// A member that lost its leader took no handshakes until it followed a new
// one, as ZooKeeper closes them at once. But a client refused by every
// survivor during an election backs off (the Java client, and ours, sleep
// up to a second before each attempt and a second more after trying every
// server), and with a short session it can come back after the new leader's
// fresh timeout has run out: a session lost to a sub-second election. So a
// handshake that arrives within electionHold of the member losing its
// leader waits, by notification, for the member to serve again, for at most
// a third of the session timeout it asks for (a client's connect timeout is
// its session timeout over the servers it knows; three for most
// ensembles), and is then answered as usual; past that it is refused as
// before. A member cut off for longer refuses at once, so clients find the
// members that serve without waiting.
const electionHold = time.Second

// servingNotice tells handshakes when the member serves again.
type servingNotice struct {
	mu        sync.Mutex
	changed   chan struct{} // closed at the next quorum state change
	stoppedAt time.Time     // when the member last stopped serving
}

// quorumChanged records a change of state and wakes the waiters.
func (s *Server) quorumChanged(old, st QuorumState) {
	n := &s.notice
	n.mu.Lock()
	defer n.mu.Unlock()
	if old == InQuorum {
		n.stoppedAt = time.Now()
	}
	if n.changed != nil {
		close(n.changed)
		n.changed = nil
	}
}

// nextChange is a channel closed at the next change, and when the member
// last stopped serving.
func (s *Server) nextChange() (<-chan struct{}, time.Time) {
	n := &s.notice
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.changed == nil {
		n.changed = make(chan struct{})
	}
	return n.changed, n.stoppedAt
}

// awaitServing holds c's handshake, of a session asking for requested ms,
// while the member is in an election it entered less than electionHold
// ago; it reports whether the member serves. A held connection is not
// closed when the member gives up its quorum (it has no session to lose).
func (c *conn) awaitServing(requested int32) bool {
	s := c.srv
	c.held.Store(true)
	defer c.held.Store(false)
	timeout := sessions.Bounds{Min: s.cfg.MinTimeout(), Max: s.cfg.MaxTimeout()}.Clamp(requested)
	ch, stoppedAt := s.nextChange()
	deadline := stoppedAt.Add(electionHold)
	if d := time.Now().Add(time.Duration(timeout) * time.Millisecond / 3); d.Before(deadline) {
		deadline = d
	}
	wait := time.Until(deadline)
	if wait <= 0 {
		return s.serving()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		switch st := s.quorumState(); st {
		case InQuorum:
			return true
		case Outside:
			return false
		}
		select {
		case <-ch:
			ch, _ = s.nextChange()
		case <-timer.C:
			return s.serving()
		case <-s.ctx.Done():
			return false
		}
	}
}
