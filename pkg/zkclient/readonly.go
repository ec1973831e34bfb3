package zkclient

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Read-only sessions, as ZooKeeper's Java client has them: a client that can
// be read-only asks for it in every ConnectRequest; a member without a
// quorum that serves read-only clients (readonlymode.enabled) takes it, and
// the session is ConnectedReadOnly: reads work, writes fail with
// wire.ErrNotReadOnly. Meanwhile the client probes the other servers with
// isro, at 100 ms, then twice as long each time up to a minute, and moves to
// the first that answers "rw". Such a session is the read-only member's own:
// until the client has been connected read-write once, it reconnects
// without a session id and so gets a new session.

const (
	minProbeInterval = 100 * time.Millisecond
	maxProbeInterval = time.Minute
)

// WithCanBeReadOnly lets the session connect to a member without a quorum
// that serves read-only clients (Java's canBeReadOnly).
func WithCanBeReadOnly() Option { return func(c *Conn) { c.ro.allowed = true } }

// readOnlyClient is a Conn's read-only state.
type readOnlyClient struct {
	allowed bool
	// seenRW: the client has been connected read-write (Java's
	// seenRwServerBefore); only then does it resume its session elsewhere.
	seenRW atomic.Bool
	mu     sync.Mutex
	rw     string // a read-write server found by probing, tried next
}

// sessionToResume is the session id a ConnectRequest carries.
func (c *Conn) sessionToResume() int64 {
	if !c.ro.seenRW.Load() {
		return 0
	}
	return c.sessionID.Load()
}

// connectedState records how the server took the session.
func (c *Conn) connectedState(readOnly bool) State {
	if readOnly {
		return StateConnectedReadOnly
	}
	c.ro.seenRW.Store(true)
	return StateConnected
}

// takeRWServer returns (once) the read-write server probing found.
func (c *Conn) takeRWServer() string {
	c.ro.mu.Lock()
	defer c.ro.mu.Unlock()
	rw := c.ro.rw
	c.ro.rw = ""
	return rw
}

// probeRW runs while the connection is read-only: it asks the next server
// of the ring whether it is read-write, backing off, and on the first "rw"
// drops the connection so the session loop connects there. It stops when
// done is closed.
func (c *Conn) probeRW(done <-chan struct{}, drop func()) {
	interval := minProbeInterval
	for {
		t := time.NewTimer(interval)
		select {
		case <-done:
			t.Stop()
			return
		case <-c.closed:
			t.Stop()
			return
		case <-t.C:
		}
		interval = min(2*interval, maxProbeInterval)
		c.hmu.Lock()
		addr, _ := c.hosts.Next()
		c.hmu.Unlock()
		if c.isReadWrite(addr, interval) {
			c.log.Debug("zkclient: found a read-write server", "server", addr)
			c.ro.mu.Lock()
			c.ro.rw = addr
			c.ro.mu.Unlock()
			drop()
			return
		}
	}
}

// isReadWrite sends isro to addr.
func (c *Conn) isReadWrite(addr string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), min(timeout, 5*time.Second))
	defer cancel()
	nc, err := c.dial(ctx, addr)
	if err != nil {
		return false
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(min(timeout, 5*time.Second)))
	if _, err := nc.Write([]byte("isro")); err != nil {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(nc, 16))
	return err == nil && string(b) == "rw"
}
