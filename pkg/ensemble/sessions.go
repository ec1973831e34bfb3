package ensemble

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessions"
)

// SessionTracker keeps sessions the way ZooKeeper's quorum does: only the
// leader runs the expiry queue; a follower collects the sessions its clients
// touched and reports them to the leader every half tick (never a log entry
// per ping); a member that becomes leader re-arms every session with a full
// timeout. It implements sessionserver.SessionTracker.
type SessionTracker struct {
	node    *Node
	tracker *sessions.Tracker
	tick    time.Duration

	// expiring is set once this member leads and has re-armed every session.
	expiring atomic.Bool

	mu      sync.Mutex
	touched map[int64]int32
}

// NewSessionTracker creates the tracker of a member with ZooKeeper's tickTime.
// SetExpire must be given the server's ExpireSessions before Run.
func NewSessionTracker(node *Node, tickMillis int32) *SessionTracker {
	st := &SessionTracker{node: node, tracker: sessions.NewTracker(tickMillis, nil),
		tick: time.Duration(tickMillis) * time.Millisecond, touched: map[int64]int32{}}
	st.tracker.SetActive(func() bool { return st.expiring.Load() && node.IsLeader() })
	node.transport.Handle(kindTouches, st.receive)
	return st
}

// SetExpire sets who proposes the closeSession of expired sessions.
func (s *SessionTracker) SetExpire(f func(sids []int64)) { s.tracker.SetExpire(f) }

// AddSession, RemoveSession and SetClosing follow the replicated session table.
func (s *SessionTracker) AddSession(sid int64, timeout int32) { s.tracker.AddSession(sid, timeout) }
func (s *SessionTracker) RemoveSession(sid int64)             { s.tracker.RemoveSession(sid) }
func (s *SessionTracker) SetClosing(sid int64)                { s.tracker.SetClosing(sid) }

// Touch records activity. On a follower it is also queued for the leader.
func (s *SessionTracker) Touch(sid int64, timeout int32) bool {
	if !s.tracker.Touch(sid, timeout) {
		return false
	}
	if !s.node.IsLeader() {
		s.mu.Lock()
		s.touched[sid] = timeout
		s.mu.Unlock()
	}
	return true
}

// Run expires sessions (when leading) and reports touches (when following)
// until ctx ends. On a change of leadership every session gets a full
// timeout from now, and sessions whose close this member proposed but which
// are still in the replicated table (the proposal was lost with the old
// leader) are tracked again, so the new leader expires them in turn.
func (s *SessionTracker) Run(ctx context.Context) {
	go s.tracker.Run(ctx)
	t := time.NewTicker(s.tick / 2)
	defer t.Stop()
	wasLeader := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		leader := s.node.IsLeader()
		if leader != wasLeader {
			s.expiring.Store(false)
			s.reopenClosing()
			s.tracker.Rearm()
			s.expiring.Store(leader)
		}
		wasLeader = leader
		if leader {
			continue
		}
		s.report()
	}
}

// reopenClosing tracks again, with a full timeout, the sessions marked
// closing whose close has not been applied.
func (s *SessionTracker) reopenClosing() {
	for _, info := range s.tracker.Sessions() {
		if info.Closing {
			s.tracker.RemoveSession(info.ID)
			s.tracker.AddSession(info.ID, info.Timeout)
		}
	}
}

// report sends the touched sessions to the leader: (sid int64, timeout int32)*.
func (s *SessionTracker) report() {
	lead := s.node.Leader()
	s.mu.Lock()
	if len(s.touched) == 0 || lead == 0 {
		s.mu.Unlock()
		return
	}
	buf := make([]byte, 0, len(s.touched)*12)
	for sid, to := range s.touched {
		buf = binary.BigEndian.AppendUint64(buf, uint64(sid))
		buf = binary.BigEndian.AppendUint32(buf, uint32(to))
	}
	s.touched = map[int64]int32{}
	s.mu.Unlock()
	s.node.transport.SendRaw(lead, kindTouches, buf)
}

// receive applies a follower's report on the leader.
func (s *SessionTracker) receive(_ uint64, payload []byte) {
	for len(payload) >= 12 {
		sid := int64(binary.BigEndian.Uint64(payload))
		to := int32(binary.BigEndian.Uint32(payload[8:]))
		payload = payload[12:]
		s.tracker.Touch(sid, to)
	}
}
