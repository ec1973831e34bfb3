package sessionserver

import (
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// handshakeTimeout bounds the wait for a new session's createSession to apply.
const handshakeTimeout = 30 * time.Second

// handshake answers the ConnectRequest (ZooKeeperServer.processConnectRequest).
// It returns false when the connection must close.
func (c *conn) handshake(body []byte) bool {
	s := c.srv
	var req wire.ConnectRequest
	if err := req.Decode(wire.NewDecoder(body)); err != nil {
		s.metrics.malformed.Inc()
		return false
	}
	s.metrics.zk.connRequests.Inc()
	if !s.serving() && (req.ReadOnly && s.readOnlyActive() || !c.awaitServing(req.TimeOut)) {
		return c.handshakeWithoutQuorum(&req)
	}
	if req.LastZxidSeen > s.LastZxid() {
		// The client has seen a newer state than ours: it must try another
		// server. ZooKeeper closes without a reply.
		s.logger.Info("refusing client ahead of this server", "clientZxid", req.LastZxidSeen, "ourZxid", s.LastZxid())
		return false
	}
	timeout := sessions.Bounds{Min: s.cfg.MinTimeout(), Max: s.cfg.MaxTimeout()}.Clamp(req.TimeOut)
	resp := wire.ConnectResponse{HasReadOnly: req.HasReadOnly}
	valid := false
	sid := req.SessionID
	if sid == 0 {
		// A new session's password needs the ensemble's secret.
		if !s.awaitSecret(c.done) {
			s.logger.Info("closing a new connection: the ensemble has no password secret yet")
			return false
		}
		sid = s.idGen.Next()
		done := make(chan bool, 1)
		seq := s.register(pendingHandshake(done))
		if err := s.propose(&txn{Type: wire.OpCreateSession, SID: sid, Time: time.Now().UnixMilli(), Origin: s.id, Seq: seq, Body: createSessionBody(timeout)}); err != nil {
			s.takePending(seq)
			s.logger.Info("closing a new connection: its session could not be proposed", "err", err)
			return false
		}
		select {
		case ok := <-done:
			valid = ok
		case <-time.After(handshakeTimeout):
			s.takePending(seq)
		case <-c.done:
			return false
		}
	} else {
		valid = s.sm.checkSession(sid, req.Passwd) && s.tracker.Touch(sid, timeout)
	}
	if !valid {
		// Expired, unknown or a wrong password: timeOut 0, sessionId 0 and a
		// zeroed 16-byte password, then close.
		resp.Passwd = make([]byte, sessions.PasswordLen)
		c.writeFrame(wire.Marshal(&resp), true)
		return false
	}
	c.sid, c.timeout = sid, timeout
	s.bind(c, sid)
	if req.SessionID != 0 && s.localLog == nil && s.mode() != ModeStandalone {
		// In an ensemble, tell the other members the session moved here, so the
		// member it left drops the old connection (SessionMoved).
		if err := s.propose(&txn{Type: txnSessionOwner, SID: sid, Time: time.Now().UnixMilli(), Origin: s.id}); err != nil {
			s.logger.Warn("proposing the session's new owner", "err", err)
		}
	}
	resp.TimeOut, resp.SessionID, resp.Passwd = timeout, sid, s.sm.sessionPassword(sid)
	c.writeFrame(wire.Marshal(&resp), false)
	c.sent.Add(1)
	return true
}
