package ensemble

import (
	"context"
	"sync"
	"sync/atomic"
)

// changes wakes whoever waits for the member's state to change: the leader
// it knows, what it applied, a follower's progress on the leader (anything
// a Ready carried). Waiting is by notification: a channel closed and
// replaced at each change, only while someone waits.
type changes struct {
	mu      sync.Mutex
	ch      chan struct{}
	waiters atomic.Int32
}

// watch returns the channel the next change closes; release when done.
func (c *changes) watch() (<-chan struct{}, func()) {
	c.waiters.Add(1)
	c.mu.Lock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	ch := c.ch
	c.mu.Unlock()
	return ch, func() { c.waiters.Add(-1) }
}

// changed wakes the waiters, if any.
func (c *changes) changed() {
	if c.waiters.Load() == 0 {
		return
	}
	c.mu.Lock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
	c.mu.Unlock()
}

// waitUntil blocks until cond holds (checked at every change), ctx ends or
// the member stops.
func (n *Node) waitUntil(ctx context.Context, cond func() bool) error {
	for {
		ch, release := n.changes.watch()
		if cond() {
			release()
			return nil
		}
		select {
		case <-ch:
			release()
		case <-ctx.Done():
			release()
			return ctx.Err()
		case <-n.done:
			release()
			return n.closedErr()
		}
	}
}
