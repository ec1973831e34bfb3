package sessionserver

import (
	"fmt"
	"time"
)

// pendingReq is a request of this member waiting for its transaction to apply.
type pendingReq interface {
	// resolve hands it the transaction's outcome (tree write-locked) and
	// reports whether it was the outcome it waited for.
	resolve(o outcome) bool
	// abandon ends the wait without an outcome: the proposal failed or the
	// server closes.
	abandon()
}

// pendingHandshake is a new session's handshake waiting for its createSession.
type pendingHandshake chan bool

func (p pendingHandshake) resolve(o outcome) bool {
	if o.kind != outcomeSession {
		return false
	}
	p <- true
	return true
}

func (p pendingHandshake) abandon() { close(p) }

// pendingWrite is a client write waiting for its reply: its slot (a
// pointer, so registering it allocates nothing).
type pendingWrite slot

func (p *pendingWrite) resolve(o outcome) bool {
	if o.kind != outcomeReply {
		return false
	}
	p.c.finishWrite((*slot)(p), encodeReply(o.cxid, o.zxid, o.code, o.body), o.closeAfter)
	return true
}

// abandon closes the connection, so the client retries elsewhere.
func (p *pendingWrite) abandon() { p.c.close() }

// waiting is a request waiting for its transaction, and the leader's term
// its proposal went out in (0 without a replicated log).
type waiting struct {
	req  pendingReq
	term uint64
	at   time.Time // when it was registered (zkensemble_proposal_duration_seconds)
}

// register records a request waiting for its transaction and returns its
// sequence number. The term is read before the proposal goes out, so a
// proposal is never thought younger than the leader it went to.
func (s *Server) register(p pendingReq) uint64 {
	seq := s.seq.Add(1)
	w := waiting{req: p, at: time.Now()}
	if t, ok := s.rlog.(Terms); ok {
		w.term = t.Term()
	}
	s.mu.Lock()
	s.pending[seq] = w
	s.mu.Unlock()
	return seq
}

func (s *Server) takePending(seq uint64) pendingReq {
	s.mu.Lock()
	w, ok := s.pending[seq]
	delete(s.pending, seq)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	s.metrics.proposal.Observe(time.Since(w.at).Seconds())
	return w.req
}

// Apply applies committed transactions in order (StateMachine); the
// connections of sessions they ended close once the batch is applied.
func (s *Server) Apply(entries []Entry) {
	fx := &applyEffects{s: s}
	s.sm.apply(entries, fx)
	for _, c := range fx.closed {
		c.closeAfterFlush()
	}
}

// applyEffects carries one Apply batch's effects to the connection registry.
type applyEffects struct {
	s      *Server
	closed []*conn
}

func (fx *applyEffects) answer(seq uint64, o outcome) bool {
	p := fx.s.takePending(seq)
	return p != nil && p.resolve(o)
}

func (fx *applyEffects) sessionEnded(sid int64) {
	if c := fx.s.connOf(sid); c != nil {
		fx.closed = append(fx.closed, c)
	}
}

func (fx *applyEffects) sessionMoved(sid int64, to uint64) {
	if c := fx.s.connOf(sid); c != nil {
		fx.s.logger.Info("session moved to another member; closing its old connection", "sessionId", fmt.Sprintf("0x%x", sid), "member", to)
		fx.closed = append(fx.closed, c)
	}
}

func (fx *applyEffects) applied() { fx.s.metrics.txns.Inc() }

// finishWrite completes a write's slot from Apply (the tree is write-locked).
func (c *conn) finishWrite(sl *slot, frame []byte, closeAfter bool) {
	c.mu.Lock()
	c.completeLocked(sl, frame, closeAfter)
	c.mu.Unlock()
}
