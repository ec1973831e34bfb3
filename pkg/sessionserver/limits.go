package sessionserver

import (
	"fmt"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Defaults of the per-client bounds.
const (
	// DefaultMaxClientOutput: a client that pipelines requests and reads its
	// replies never has this much queued (zkbench's pipelined clients peak
	// well below it), while 4 MiB × maxClientCnxns (60) bounds one address.
	DefaultMaxClientOutput = 4 << 20
	// DefaultClientWriteTimeout is how long one write to a client may block.
	DefaultClientWriteTimeout = 30 * time.Second
	// DefaultMaxWatches is generous: Curator recipes hold a few per lock or
	// cache node; a connection watching this many paths is misbehaving.
	DefaultMaxWatches = 65536
	// DefaultMaxWatchPathLength: a watch on a missing node keeps its path, so
	// a watch costs at most this much (64k × 4 KiB = 256 MiB per connection
	// at worst; real paths are tens of bytes).
	DefaultMaxWatchPathLength = 4096
	// replySlack is what a reply may add to the largest request: a getData
	// of a node written by a maximal setData carries its data plus a header
	// and a stat (88 bytes).
	replySlack = 1024
)

func (c *Config) validateLimits() error {
	switch {
	case c.MaxClientOutput <= 0:
		return fmt.Errorf("maxClientOutputBytes must be positive, got %d", c.MaxClientOutput)
	case c.ClientWriteTimeout <= 0:
		return fmt.Errorf("clientWriteTimeoutMs must be positive, got %v", c.ClientWriteTimeout)
	case c.MaxWatches <= 0:
		return fmt.Errorf("maxWatchesPerSession must be positive, got %d", c.MaxWatches)
	case c.MaxWatchPathLength <= 0:
		return fmt.Errorf("maxWatchPathLength must be positive, got %d", c.MaxWatchPathLength)
	}
	return nil
}

// maxReply bounds one reply frame: jute.maxbuffer plus the slack a read adds
// to what a write could store. A larger reply (getChildren of a huge list,
// a multiRead of many nodes) becomes an error for that request: ZooKeeper
// sends it and the client, whose own jute.maxbuffer it exceeds, drops the
// connection; an error keeps the connection usable.
func (s *Server) maxReply() int { return s.cfg.MaxBuffer + replySlack }

// overOutputLocked reports whether c's queued output (waiting and being
// written) is at or over its cap. c.mu held.
func (c *conn) overOutputLocked() bool {
	return c.enc.Len()+c.inflight >= c.srv.cfg.MaxClientOutput
}

// waitOutputRoom blocks the reader while c's queued output is over its cap,
// so a client that does not read its replies stops being read; the writer's
// deadline closes it if it never drains. False: the connection closed.
func (c *conn) waitOutputRoom() bool {
	c.mu.Lock()
	for c.overOutputLocked() {
		if c.closed {
			c.mu.Unlock()
			return false
		}
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.mu.Unlock()
		select {
		case <-room:
		case <-c.done:
			return false
		}
		c.mu.Lock()
	}
	c.mu.Unlock()
	return true
}

// drainedLocked is the writer's report that queued output went out: it wakes
// a reader waiting for room and says whether reads left waiting behind the
// cap should run now. c.mu held.
func (c *conn) drainedLocked() (resume bool) {
	if c.room != nil && !c.overOutputLocked() {
		close(c.room)
		c.room = nil
	}
	return !c.overOutputLocked() && len(c.queue) > 0 && !c.queue[0].done && c.queue[0].exec != nil
}

// resumeReads runs the reads that completeLocked left queued while the
// output was over its cap (the writer calls it once the output drained).
func (c *conn) resumeReads() {
	t := c.srv.sm.tree
	t.RLock()
	c.mu.Lock()
	c.drainQueueLocked()
	c.mu.Unlock()
	t.RUnlock()
}

// watchRefused returns why a watch on path may not be added for c (an error
// code the client's request then fails with), or ErrOK. Every ZooKeeper
// client knows BadArguments; the server logs which cap was hit.
func (c *conn) watchRefused(paths ...string) wire.ErrCode {
	s := c.srv
	added := 0
	for _, p := range paths {
		if len(p) > s.cfg.MaxWatchPathLength {
			s.logger.Warn("refusing a watch on an overlong path", "sessionId", fmt.Sprintf("0x%x", c.sid), "length", len(p), "maxWatchPathLength", s.cfg.MaxWatchPathLength)
			return wire.ErrBadArguments
		}
		if !s.sm.tree.Watches.Watching(p, c) {
			added++
		}
	}
	if added > 0 && s.sm.tree.Watches.CountOf(c)+added > s.cfg.MaxWatches {
		s.logger.Warn("refusing a watch past the connection's cap", "sessionId", fmt.Sprintf("0x%x", c.sid), "maxWatchesPerSession", s.cfg.MaxWatches)
		return wire.ErrBadArguments
	}
	return wire.ErrOK
}
