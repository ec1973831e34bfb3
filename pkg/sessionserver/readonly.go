package sessionserver

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Read-only mode (ZooKeeper's readonlymode.enabled): a member that has been
// without a quorum for a while takes sessions from clients that set
// canBeReadOnly, answers their reads from what it has, refuses their writes
// with NotReadOnly, and says "ro" to isro. Its sessions are its own, as
// ZooKeeper's local sessions are: they use no transaction, another member
// does not know them, and they end when the quorum returns (the client's
// probing finds a read-write member, or its connection closes). A session of
// the ensemble cannot be resumed on a read-only member (ZooKeeper answers
// that it expired).

// readOnlyDelay is how long ZooKeeper's member waits without a quorum
// before it serves read-only clients (max(2 s, tickTime)), so that an
// election does not send every such client into read-only mode.
func (s *Server) readOnlyDelay() time.Duration {
	return max(2*time.Second, time.Duration(s.cfg.TickTime)*time.Millisecond)
}

// readOnly is the member's read-only mode.
type readOnly struct {
	mu       sync.Mutex
	active   bool
	timer    *time.Timer
	sessions map[int64][]byte // id → password
	tracker  *sessions.Tracker
}

// startReadOnly prepares read-only mode when it is enabled: its sessions
// expire as standalone ones do, on their own tracker.
func (s *Server) startReadOnly() {
	if !s.cfg.ReadOnlyMode {
		return
	}
	s.ro.sessions = map[int64][]byte{}
	s.ro.tracker = sessions.NewTracker(s.cfg.TickTime, s.expireReadOnly)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.ro.tracker.Run(s.ctx) }()
}

// readOnlyFollow starts read-only mode after readOnlyDelay without a
// quorum, and ends it (closing its sessions) when the quorum returns or the
// member leaves the configuration.
func (s *Server) readOnlyFollow(st QuorumState) {
	if !s.cfg.ReadOnlyMode {
		return
	}
	r := &s.ro
	r.mu.Lock()
	defer r.mu.Unlock()
	if st == NoQuorum {
		if r.timer == nil && !r.active {
			r.timer = time.AfterFunc(s.readOnlyDelay(), func() {
				r.mu.Lock()
				defer r.mu.Unlock()
				if r.timer != nil && s.quorumState() == NoQuorum {
					r.timer, r.active = nil, true
					s.logger.Warn("no quorum: serving read-only clients (readonlymode.enabled)")
				}
			})
		}
		return
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if st == Settling || !r.active {
		return
	}
	r.active = false
	for sid := range r.sessions {
		r.tracker.RemoveSession(sid)
	}
	r.sessions = map[int64][]byte{}
	s.logger.Info("read-only mode ends", "quorum", st.String())
	s.retireConns(func(c *conn) bool { return c.ro.Load() })
}

// readOnlyActive reports whether the member serves read-only clients now.
func (s *Server) readOnlyActive() bool {
	if !s.cfg.ReadOnlyMode {
		return false
	}
	s.ro.mu.Lock()
	defer s.ro.mu.Unlock()
	return s.ro.active
}

// handshakeWithoutQuorum answers a ConnectRequest while the member is not
// in quorum: closed without a reply (the client tries another member), but
// for a client that can be read-only while read-only mode is on. It returns
// false when the connection must close.
func (c *conn) handshakeWithoutQuorum(req *wire.ConnectRequest) bool {
	s := c.srv
	if !req.ReadOnly || !s.readOnlyActive() || req.LastZxidSeen > s.LastZxid() {
		s.logger.Debug("refusing a client: not serving", "quorum", s.quorumState().String(), "canBeReadOnly", req.ReadOnly)
		return false
	}
	timeout := sessions.Bounds{Min: s.cfg.MinTimeout(), Max: s.cfg.MaxTimeout()}.Clamp(req.TimeOut)
	resp := wire.ConnectResponse{HasReadOnly: req.HasReadOnly, ReadOnly: true}
	sid, pw := req.SessionID, req.Passwd
	r := &s.ro
	r.mu.Lock()
	if !r.active {
		r.mu.Unlock()
		return false
	}
	if sid == 0 {
		sid, pw = s.idGen.Next(), make([]byte, sessions.PasswordLen)
		_, _ = rand.Read(pw)
		r.sessions[sid] = pw
		r.tracker.AddSession(sid, timeout)
	} else if known, ok := r.sessions[sid]; !ok || subtle.ConstantTimeCompare(known, pw) != 1 || !r.tracker.Touch(sid, timeout) {
		// Not one of this member's read-only sessions: ZooKeeper's read-only
		// server answers as for an expired session.
		r.mu.Unlock()
		resp.Passwd = make([]byte, sessions.PasswordLen)
		c.writeFrame(wire.Marshal(&resp), true)
		return false
	}
	r.mu.Unlock()
	c.sid, c.timeout = sid, timeout
	c.ro.Store(true)
	s.bind(c, sid)
	resp.TimeOut, resp.SessionID, resp.Passwd = timeout, sid, pw
	c.writeFrame(wire.Marshal(&resp), false)
	c.sent.Add(1)
	return true
}

// touch records activity on the connection's session; false drops the request.
func (c *conn) touch() bool {
	if c.ro.Load() {
		return c.srv.ro.tracker.Touch(c.sid, c.timeout)
	}
	return c.srv.tracker.Touch(c.sid, c.timeout)
}

// refuseReadOnly answers a request a read-only session may not make, as
// ZooKeeper's ReadOnlyRequestProcessor does: NotReadOnly with the last zxid.
// closeSession ends the session here (it uses no transaction).
func (c *conn) refuseReadOnly(hdr wire.RequestHeader) (handled, keep bool) {
	if !c.ro.Load() {
		return false, true
	}
	switch op := hdr.Type; {
	case op == wire.OpCloseSession:
		c.srv.endReadOnlySession(c.sid)
		c.closing = true
		c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: c.srv.LastZxid()}), true)
		return true, false
	case wire.IsWriteOp(op) || op == wire.OpSync:
		c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: c.srv.LastZxid(), Err: int32(wire.ErrNotReadOnly)}), false)
		return true, true
	}
	return false, true
}

// expireReadOnly is the read-only tracker's callback.
func (s *Server) expireReadOnly(sids []int64) {
	for _, sid := range sids {
		s.logger.Info("read-only session expired", "sessionId", fmt.Sprintf("0x%x", sid))
		s.endReadOnlySession(sid)
		if c := s.connOf(sid); c != nil {
			c.close()
		}
	}
}

func (s *Server) endReadOnlySession(sid int64) {
	s.ro.mu.Lock()
	delete(s.ro.sessions, sid)
	s.ro.mu.Unlock()
	s.ro.tracker.RemoveSession(sid)
}
