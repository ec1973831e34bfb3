package sessionserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// maxOutstanding bounds a connection's unanswered requests (ZooKeeper's
// globalOutstandingLimit is 1000): past it the server stops reading that socket.
const maxOutstanding = 1000

// readBufferSize is the connection reader's buffer. Requests are small (a
// ping is 12 bytes, a typical write well under 1 KB), and a frame larger
// than the buffer is read straight into its own slice, so a small buffer
// costs nothing in throughput; a 64 KB one cost every idle session 64 KB of
// heap (6.4 GB for 100k sessions, paged in as the runtime reuses the memory),
// and at 4 KB it was still two thirds of a connected session's heap.
const readBufferSize = 1 << 10

// maxSpare is the largest output buffer a connection keeps for reuse: a
// burst of large replies does not pin its buffer for the connection's life.
const maxSpare = 64 << 10

// sessionlessTimeout closes connections that never complete a handshake.
const sessionlessTimeout = 10 * time.Second

// slot is one request in a connection's reply order.
type slot struct {
	hdr   wire.RequestHeader
	rec   wire.Record
	start time.Time
	// exec runs a read when it reaches the head (tree and conn locked).
	exec func(c *conn, e *wire.Encoder, sl *slot)
	done bool
	// reply is a finished frame waiting for earlier slots.
	reply      []byte
	closeAfter bool
	c          *conn // a write's connection, while it waits (pendingWrite)
}

// conn is one client connection. Its reader goroutine decodes and dispatches
// requests in order; replies and notifications are appended to out under mu
// and written by the writer goroutine in batches.
type conn struct {
	srv     *Server
	nc      net.Conn
	ip      string
	id      uint64
	created time.Time

	// Set by the handshake, then only read (the reader goroutine owns auth).
	sid     int64
	timeout int32
	auth    datatree.Auth
	closing bool         // the session's close was requested: drop later requests
	sasl    *sasl.Server // the SASL exchange, once the client starts one
	// retiring: the member stopped serving; ro: a read-only session (quorum.go, readonly.go).
	retiring, ro atomic.Bool
	// held: the handshake waits for the member to serve (electionhold.go).
	held      atomic.Bool
	reconfigs atomic.Int32 // reconfig requests in flight
	// watchAuth is a copy of auth for persistent watch filtering, which
	// runs on the apply goroutine.
	watchAuth atomic.Pointer[datatree.Auth]

	mu         sync.Mutex
	enc        wire.Encoder // appends to the pending output
	spare      []byte
	queue      []*slot
	flushClose bool
	closed     bool
	// inflight is the size of the batch the writer is writing; with
	// enc.Len() it is what counts against maxClientOutputBytes.
	inflight int
	// room, when a reader waits for the output to drain, is closed by the writer.
	room      chan struct{}
	wake      chan struct{}
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}

	// statistics for cons/stat
	recved, sent        atomic.Int64
	lastOp              atomic.Int32
	lastCxid            atomic.Int32
	lastZxid            atomic.Int64
	lastLat             atomic.Int64
	minLat, maxLat      atomic.Int64
	sumLat, cntLat      atomic.Int64
	lastResponseAtMilli atomic.Int64
}

func newConn(s *Server, nc net.Conn, ip string) *conn {
	c := &conn{
		srv:     s,
		nc:      nc,
		ip:      ip,
		id:      s.nextCnx.Add(1),
		created: time.Now(),
		wake:    make(chan struct{}, 1),
		sem:     make(chan struct{}, maxOutstanding),
		done:    make(chan struct{}),
	}
	c.minLat.Store(-1)
	c.lastOp.Store(-100)
	c.auth.IDs = []wire.Id{{Scheme: "ip", ID: ip}}
	c.publishAuth()
	return c
}

// publishAuth makes the reader's current auth what watch filtering sees.
func (c *conn) publishAuth() {
	a := datatree.Auth{IDs: append([]wire.Id(nil), c.auth.IDs...), Super: c.auth.Super}
	c.watchAuth.Store(&a)
}

// WatchAuth is the connection's identities, for persistent watch events
// (datatree.Authenticated).
func (c *conn) WatchAuth() datatree.Auth { return *c.watchAuth.Load() }

// Process queues a notification (watches.Watcher). It is called with the
// tree locked, so it only appends to the output.
func (c *conn) Process(ev wire.WatcherEvent) {
	c.mu.Lock()
	c.appendEventLocked(ev)
	c.mu.Unlock()
}

func (c *conn) appendEventLocked(ev wire.WatcherEvent) {
	if c.closed {
		return
	}
	e := &c.enc
	e.BeginFrame()
	e.WriteInt32(wire.XidNotification)
	e.WriteInt64(-1)
	e.WriteInt32(0)
	ev.Encode(e)
	e.EndFrame()
	c.signal()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeFrame queues an already encoded frame (handshake, immediate replies).
func (c *conn) writeFrame(frame []byte, closeAfter bool) {
	c.mu.Lock()
	if !c.closed {
		c.enc.BeginFrame()
		c.enc.AppendRaw(frame)
		c.enc.EndFrame()
		if closeAfter {
			c.flushClose = true
		}
		c.signal()
	}
	c.mu.Unlock()
}

// serve is the reader goroutine.
func (c *conn) serve() {
	s := c.srv
	go c.writeLoop()
	defer c.finish()
	if !c.startTLS() {
		return
	}
	br := bufio.NewReaderSize(c.nc, readBufferSize)
	c.nc.SetReadDeadline(time.Now().Add(sessionlessTimeout))
	n, err := wire.ReadFrameLength(br)
	if err != nil {
		return
	}
	if cmd, ok := wire.FourLetterWord(n); ok {
		c.fourLetterWord(cmd)
		return
	}
	buf, err := wire.ReadFrameBody(br, n, nil, s.cfg.MaxBuffer)
	if err != nil {
		c.countBadFrame(err)
		return
	}
	c.recved.Add(1)
	s.stats.received.Add(1)
	s.metrics.zk.bytesReceived.Add(float64(len(buf) + 4))
	if !c.handshake(buf) {
		return
	}
	c.nc.SetReadDeadline(time.Time{})
	for {
		if !c.waitOutputRoom() {
			return
		}
		buf, err = wire.ReadFrame(br, buf, s.cfg.MaxBuffer)
		if err != nil {
			c.countBadFrame(err)
			return
		}
		c.recved.Add(1)
		s.stats.received.Add(1)
		s.metrics.bytesIn.Add(float64(len(buf) + 4))
		s.metrics.zk.bytesReceived.Add(float64(len(buf) + 4))
		if !c.handleRequest(buf) {
			return
		}
	}
}

func (c *conn) countBadFrame(err error) {
	var fe *wire.FrameLengthError
	if errors.As(err, &fe) || errors.Is(err, io.ErrUnexpectedEOF) {
		c.srv.metrics.malformed.Inc()
		c.srv.logger.Debug("closing connection on a bad frame", "remote", c.nc.RemoteAddr().String(), "err", err)
	}
}

// writeLoop writes queued output in batches: everything appended while the
// previous write was in flight goes out in one write.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		out := c.enc.Bytes()
		closeAfter := c.flushClose
		c.enc = *wire.NewEncoder(c.spare)
		c.inflight = len(out)
		c.mu.Unlock()
		if len(out) > 0 {
			// A client that does not read is closed after the deadline.
			c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.ClientWriteTimeout))
			if _, err := c.nc.Write(out); err != nil {
				c.close()
				return
			}
			c.srv.metrics.bytesOut.Add(float64(len(out)))
		}
		c.mu.Lock()
		c.inflight = 0
		c.spare = nil
		if cap(out) <= maxSpare {
			c.spare = out[:0]
		}
		pendingMore := c.enc.Len() > 0
		resume := c.drainedLocked()
		c.mu.Unlock()
		if resume {
			c.resumeReads()
			c.mu.Lock()
			pendingMore = c.enc.Len() > 0
			c.mu.Unlock()
		}
		if closeAfter && !pendingMore {
			c.close()
			return
		}
		if pendingMore {
			c.signal()
		}
	}
}

// closeAfterFlush closes the connection once queued output is written.
func (c *conn) closeAfterFlush() {
	c.mu.Lock()
	c.flushClose = true
	c.signal()
	c.mu.Unlock()
}

// finish ends the reader: a connection asked to close after its last reply
// waits (briefly) for the writer to flush it.
func (c *conn) finish() {
	c.mu.Lock()
	flush := c.flushClose
	c.mu.Unlock()
	if flush {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
	}
	c.close()
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
		c.srv.sm.tree.Watches.RemoveWatcher(c)
		c.srv.unregisterConn(c)
		c.srv.metrics.connections.Dec()
	})
}

// recordLatency updates the per-connection and server latency figures.
func (c *conn) recordLatency(op int32, cxid int32, zxid int64, start time.Time, replyBytes int) {
	now := time.Now()
	elapsed := now.Sub(start)
	lat := elapsed.Milliseconds()
	c.lastOp.Store(op)
	c.lastCxid.Store(cxid)
	c.lastZxid.Store(zxid)
	c.lastLat.Store(lat)
	c.sumLat.Add(lat)
	c.cntLat.Add(1)
	for {
		m := c.minLat.Load()
		if (m >= 0 && m <= lat) || c.minLat.CompareAndSwap(m, lat) {
			break
		}
	}
	for {
		m := c.maxLat.Load()
		if m >= lat || c.maxLat.CompareAndSwap(m, lat) {
			break
		}
	}
	c.lastResponseAtMilli.Store(now.UnixMilli())
	c.sent.Add(1)
	c.srv.stats.record(lat)
	c.srv.metrics.forOp(op).latency.Observe(elapsed.Seconds())
	c.srv.metrics.zk.observeRequest(op, lat, replyBytes)
}
