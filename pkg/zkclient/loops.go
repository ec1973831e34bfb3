package zkclient

import (
	"bufio"
	"fmt"
	"net"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// A connection's two loops: the writer sends queued requests and pings, the
// reader matches replies to them and delivers watch events.

// writeLoop sends auth and restored watches first, then queued requests and
// pings, until the connection fails or the session is closed or moved.
func (c *Conn) writeLoop(nc net.Conn, readDone <-chan struct{}) error {
	negotiated := time.Duration(c.negotiated.Load()) * time.Millisecond
	pingEvery := negotiated / 3
	bw := bufio.NewWriterSize(nc, 64<<10)
	e := wire.NewEncoder(make([]byte, 0, 4096))

	c.mu.Lock()
	for _, a := range c.auths {
		e.BeginFrame()
		(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}).Encode(e)
		(&wire.AuthPacket{Scheme: a.scheme, Auth: a.auth}).Encode(e)
		e.EndFrame()
	}
	c.mu.Unlock()
	for _, r := range c.watches.restoreRequests(c.lastZxid.Load(), c.chroot) {
		c.writeItem(e, r)
	}
	if _, err := bw.Write(e.Bytes()); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	lastSend := time.Now()
	ping := time.NewTicker(max(pingEvery/2, 10*time.Millisecond))
	defer ping.Stop()
	for {
		select {
		case <-readDone:
			return errReaderDone
		case <-c.closed:
			return ErrClosed
		case r := <-c.sendq:
			e.Reset()
			c.writeItem(e, r)
			// Batch whatever else is queued into the same write.
			for more := true; more && e.Len() < 64<<10; {
				select {
				case r2 := <-c.sendq:
					c.writeItem(e, r2)
				default:
					more = false
				}
			}
			nc.SetWriteDeadline(time.Now().Add(negotiated))
			if _, err := bw.Write(e.Bytes()); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			lastSend = time.Now()
		case <-ping.C:
			if time.Since(lastSend) < pingEvery {
				continue
			}
			e.Reset()
			e.BeginFrame()
			(&wire.RequestHeader{Xid: wire.XidPing, Type: wire.OpPing}).Encode(e)
			e.EndFrame()
			nc.SetWriteDeadline(time.Now().Add(negotiated))
			if _, err := bw.Write(e.Bytes()); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			lastSend = time.Now()
		}
	}
}

func errOr(err, def error) error {
	if err == nil {
		return def
	}
	return err
}

// rawOp marks a queued frame written as is, outside the reply order (auth).
const rawOp int32 = -1000

type rawFrame []byte

func (f rawFrame) Encode(e *wire.Encoder)   { e.AppendRaw(f) }
func (rawFrame) Decode(*wire.Decoder) error { return nil }

// writeItem encodes a queued item: a request joins the reply order.
func (c *Conn) writeItem(e *wire.Encoder, r *request) {
	if r.op == rawOp {
		e.AppendRaw(r.req.(rawFrame))
		close(r.done)
		return
	}
	c.enqueuePending(r)
	c.encodeRequest(e, r)
}

func (c *Conn) enqueuePending(r *request) {
	c.mu.Lock()
	r.xid = c.nextXid
	c.nextXid++
	if c.nextXid <= 0 {
		c.nextXid = 1
	}
	c.pending = append(c.pending, r)
	c.mu.Unlock()
}

func (c *Conn) encodeRequest(e *wire.Encoder, r *request) {
	e.BeginFrame()
	(&wire.RequestHeader{Xid: r.xid, Type: r.op}).Encode(e)
	if r.req != nil {
		r.req.Encode(e)
	}
	e.EndFrame()
}

// readLoop reads replies and notifications. Replies must come in request
// order: a mismatch is a protocol error and drops the connection, as the
// Java client does.
func (c *Conn) readLoop(nc net.Conn, br *bufio.Reader) error {
	negotiated := time.Duration(c.negotiated.Load()) * time.Millisecond
	readTimeout := negotiated * 2 / 3
	var buf []byte
	for {
		nc.SetReadDeadline(time.Now().Add(readTimeout))
		var err error
		buf, err = wire.ReadFrame(br, buf, wire.DefaultMaxBuffer)
		if err != nil {
			return err
		}
		d := wire.NewDecoder(buf)
		var h wire.ReplyHeader
		if err := h.Decode(d); err != nil {
			return err
		}
		switch h.Xid {
		case wire.XidNotification:
			var ev wire.WatcherEvent
			if err := ev.Decode(d); err != nil {
				return err
			}
			c.watches.dispatch(ev, c.stripChroot(ev.Path))
			continue
		case wire.XidPing:
			continue
		case wire.XidAuth:
			c.mu.Lock()
			var waiter chan error
			for i := range c.auths {
				if c.auths[i].done != nil {
					waiter, c.auths[i].done = c.auths[i].done, nil
					break
				}
			}
			c.mu.Unlock()
			if h.Err != 0 {
				if waiter != nil {
					waiter <- ErrAuthFailed
				}
				return ErrAuthFailed
			}
			if waiter != nil {
				waiter <- nil
			}
			continue
		}
		if h.Zxid > 0 {
			c.lastZxid.Store(max(c.lastZxid.Load(), h.Zxid))
		}
		c.mu.Lock()
		if len(c.pending) == 0 || c.pending[0].xid != h.Xid {
			c.mu.Unlock()
			return fmt.Errorf("%w: reply xid %d out of order", errProtocol, h.Xid)
		}
		r := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		r.hdr = h
		if h.Err != 0 {
			r.err = wire.ErrCode(h.Err)
		} else if r.resp != nil {
			if err := r.resp.Decode(d); err != nil {
				r.err = err
			}
		}
		if r.watch != nil {
			c.watches.register(r.watch, wire.ErrCode(h.Err))
		}
		close(r.done)
	}
}
