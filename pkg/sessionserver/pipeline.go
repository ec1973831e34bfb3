package sessionserver

import (
	"context"
	"fmt"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

const opCloseSession = wire.OpCloseSession

// handleRequest dispatches one frame. It returns false to close the connection.
func (c *conn) handleRequest(frame []byte) bool {
	s := c.srv
	var hdr wire.RequestHeader
	d := wire.NewDecoder(frame)
	if err := hdr.Decode(d); err != nil {
		s.metrics.malformed.Inc()
		return false
	}
	if c.closing || c.retiring.Load() || !c.touch() {
		// A closing or unknown session is not served: the request is dropped
		// silently, as ZooKeeper does, until the connection closes.
		return true
	}
	start := time.Now()
	s.metrics.forOp(hdr.Type).requests.Inc()
	op := hdr.Type
	if op == wire.OpAuth {
		return c.handleAuth(hdr, d.Rest())
	}
	if op == wire.OpSASL {
		return c.handleSASL(hdr, d.Rest())
	}
	if !c.enforceAuth(hdr) {
		return false
	}
	if !wire.IsValidOp(op) || op == wire.OpCheck {
		// Request.isValid: an unknown op (or one that is only valid inside a
		// multi) gets Unimplemented with zxid -1, then the connection closes.
		c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: -1, Err: int32(wire.ErrUnimplemented)}), true)
		return false
	}
	if handled, keep := c.refuseReadOnly(hdr); handled {
		return keep
	}
	rec, err := wire.DecodeRequest(op, d.Rest())
	if err != nil {
		s.metrics.malformed.Inc()
		c.writeFrame(wire.Marshal(&wire.ReplyHeader{Xid: hdr.Xid, Zxid: s.LastZxid(), Err: int32(wire.ErrMarshallingError)}), false)
		return true
	}
	sl := &slot{hdr: hdr, rec: rec, start: start}
	select { // bound the outstanding requests of this connection
	case c.sem <- struct{}{}:
	case <-c.done:
		return false
	}
	switch {
	case op == wire.OpReconfig && s.cfg.ReconfigEnabled && s.reconfigurer != nil:
		c.reconfigAsync(sl)
	case wire.IsWriteOp(op):
		if op == opCloseSession {
			c.closing = true
			s.tracker.SetClosing(c.sid)
		}
		c.submitWrite(sl, frame[8:])
	case op == wire.OpSync:
		c.submitSync(sl)
	default:
		sl.exec = readExecutor(op)
		c.submitRead(sl)
	}
	return true
}

// submitWrite proposes the request as a transaction; its slot completes when it applies.
func (c *conn) submitWrite(sl *slot, body []byte) {
	s := c.srv
	c.mu.Lock()
	c.queue = append(c.queue, sl)
	c.mu.Unlock()
	sl.c = c
	seq := s.register((*pendingWrite)(sl))
	// The identities are encoded before propose returns, on this (the
	// connection's reader) goroutine, the only one that changes them: no copy.
	t := txn{Type: sl.hdr.Type, SID: c.sid, Cxid: sl.hdr.Xid, Time: sl.start.UnixMilli(), Origin: s.id, Seq: seq, Auth: c.auth, Body: body}
	_ = s.propose(&t)
}

// submitRead executes a read now if nothing is ahead of it, else queues it
// behind this connection's pending writes.
func (c *conn) submitRead(sl *slot) {
	t := c.srv.sm.tree
	t.RLock()
	c.mu.Lock()
	if len(c.queue) == 0 {
		c.runRead(sl)
	} else {
		c.queue = append(c.queue, sl)
	}
	c.mu.Unlock()
	t.RUnlock()
}

// submitSync answers once this member has caught up (Log.Barrier).
func (c *conn) submitSync(sl *slot) {
	c.mu.Lock()
	c.queue = append(c.queue, sl)
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(c.srv.ctxOrBackground(), time.Duration(c.timeout)*time.Millisecond)
		defer cancel()
		if err := c.srv.rlog.Barrier(ctx); err != nil {
			c.close()
			return
		}
		path := sl.rec.(*wire.PathRequest).Path
		t := c.srv.sm.tree
		t.RLock()
		frame := encodeReply(sl.hdr.Xid, c.srv.LastZxid(), wire.ErrOK, &wire.SyncResponse{Path: path})
		c.mu.Lock()
		c.completeLocked(sl, frame, false)
		c.mu.Unlock()
		t.RUnlock()
	}()
}

func (s *Server) ctxOrBackground() context.Context {
	if s.ctx != nil {
		return s.ctx
	}
	return context.Background()
}

// runRead executes sl and queues its reply. Called with the tree locked (read
// or write) and c.mu held, so the reply is ordered with notifications.
func (c *conn) runRead(sl *slot) {
	if c.closed {
		return
	}
	before := c.enc.Len()
	sl.exec(c, &c.enc, sl)
	c.signal()
	c.recordLatency(sl.hdr.Type, sl.hdr.Xid, c.srv.LastZxid(), sl.start, c.enc.Len()-before-4)
	<-c.sem
}

// completeLocked finishes a write or sync slot and drains the queue: finished
// replies leave in order, and reads that were waiting behind run now.
// Called with the tree locked and c.mu held.
func (c *conn) completeLocked(sl *slot, frame []byte, closeAfter bool) {
	sl.done, sl.reply, sl.closeAfter = true, frame, closeAfter
	c.drainQueueLocked()
}

// drainQueueLocked sends the finished replies at the head of the queue and
// runs the reads behind them, until a write is still pending or the output
// is over its cap (the writer resumes once it drains). Called with the tree
// locked and c.mu held.
func (c *conn) drainQueueLocked() {
	for len(c.queue) > 0 {
		head := c.queue[0]
		switch {
		case head.done:
			if !c.closed {
				c.enc.AppendRaw(head.reply)
				c.signal()
			}
			c.recordLatency(head.hdr.Type, head.hdr.Xid, c.srv.LastZxid(), head.start, len(head.reply)-4)
			<-c.sem
			if head.closeAfter {
				c.flushClose = true
			}
		case head.exec != nil:
			if c.overOutputLocked() && !c.closed {
				return
			}
			c.runRead(head)
		default:
			return
		}
		c.queue[0] = nil
		c.queue = c.queue[1:]
	}
	c.afterDrainLocked()
}

// encodeReply builds a framed reply.
func encodeReply(xid int32, zxid int64, code wire.ErrCode, body wire.Record) []byte {
	// A frame length, a reply header (16 bytes) and a stat (68) fit: the
	// reply of every write but a multi's or a create's with a long path.
	e := wire.NewEncoder(make([]byte, 0, 128))
	e.BeginFrame()
	(&wire.ReplyHeader{Xid: xid, Zxid: zxid, Err: int32(code)}).Encode(e)
	if code == wire.ErrOK && body != nil {
		body.Encode(e)
	}
	e.EndFrame()
	return e.Bytes()
}

// reply appends a reply frame to e. A reply larger than maxReply is
// replaced by a MarshallingError for that request.
func (c *conn) reply(e *wire.Encoder, xid int32, code wire.ErrCode, body wire.Record) {
	start := e.Len()
	zxid := c.srv.LastZxid()
	e.BeginFrame()
	(&wire.ReplyHeader{Xid: xid, Zxid: zxid, Err: int32(code)}).Encode(e)
	if code == wire.ErrOK && body != nil {
		body.Encode(e)
	}
	e.EndFrame()
	if size := e.Len() - start - 4; size > c.srv.maxReply() {
		c.srv.logger.Warn("refusing a reply larger than jute.maxbuffer", "sessionId", fmt.Sprintf("0x%x", c.sid), "bytes", size, "limit", c.srv.maxReply())
		e.Truncate(start)
		e.BeginFrame()
		(&wire.ReplyHeader{Xid: xid, Zxid: zxid, Err: int32(wire.ErrMarshallingError)}).Encode(e)
		e.EndFrame()
	}
}
