package nemesis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// Session probes: a go-zookeeper session with an ephemeral whose client
// alone is cut off from every member (its own host address is dropped),
// for longer than its timeout (it must expire, its ephemeral go, and the
// client be told once it reaches a member again) or for less (it must
// survive, ephemeral and all).
const (
	probeTimeout = 4 * time.Second
	// expiryLead is how much earlier than the cut the session's last
	// message may have reached the leader: go-zookeeper pings every third of
	// the timeout.
	expiryLead = probeTimeout / 3
	// expirySlack is how long after its timeout an expired session's
	// ephemeral may still be seen: the expiry is proposed through Raft and
	// the observer polls.
	expirySlack = 3 * time.Second
	pollEvery   = 100 * time.Millisecond
)

// ProbeCut is a session probe's cut: Long ones last three timeouts, short
// ones a quarter of one. A short cut must leave the session silent for less
// than its timeout all told: up to a third of it before the cut (the last
// ping), the cut, and TCP's retransmission backoff after it (the first
// retransmissions come 0.2, 0.6 and 1.4 s after the lost segment).
type ProbeCut struct {
	Long bool
	Host int // the host address (Network.HostIP) the probe connects from
}

func (p *ProbeCut) kind() string {
	if p.Long {
		return "client-cut-long"
	}
	return "client-cut-short"
}

func (p *ProbeCut) String() string {
	return fmt.Sprintf("%s: session probe from host address %d, timeout %v, cut off for %v", p.kind(), p.Host, probeTimeout, p.hold())
}

func (p *ProbeCut) hold() time.Duration {
	if p.Long {
		return 3 * probeTimeout
	}
	return probeTimeout / 4
}

// run does the probe; violations go to the history.
func (p *ProbeCut) run(ctx context.Context, c *Cluster, h *History, observer *zkclient.Conn, n int) error {
	conn, events, err := zk.Connect(c.Addrs(), probeTimeout, zk.WithDialer(goZKDialer(c.Net.HostIP(p.Host))), zk.WithLogInfo(false), zk.WithLogger(discardZK{}))
	if err != nil {
		return err
	}
	defer conn.Close()
	var expired atomic.Bool
	go func() {
		for ev := range events {
			if ev.Type == zk.EventSession && ev.State == zk.StateExpired {
				expired.Store(true)
			}
		}
	}()
	path := fmt.Sprintf("/eph/probe-%d", n)
	if err := retry(ctx, 30*time.Second, func(context.Context) error {
		_, err := conn.Create(path, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
		if errors.Is(err, zk.ErrNodeExists) {
			return nil // an earlier try whose reply was lost; its owner is checked below
		}
		return err
	}); err != nil {
		return fmt.Errorf("probe ephemeral: %w", err)
	}
	sid := conn.SessionID()
	if owner, err := ephemeralOwner(ctx, observer, path); err != nil {
		return fmt.Errorf("probe ephemeral %s: %w", path, err)
	} else if owner != sid {
		return fmt.Errorf("probe ephemeral %s: owner %x, want %x", path, owner, sid)
	}

	cut := &ClientCut{HostIP: c.Net.HostIP(p.Host)}
	if err := cut.Inject(c); err != nil {
		return err
	}
	h.fault(p.kind())
	cutAt := time.Now()
	h.Logf("inject %s (session %x)", p, sid)
	goneAt := watchGone(ctx, observer, path, cutAt.Add(p.hold()))
	if err := cut.Heal(c); err != nil {
		return err
	}
	h.Logf("heal %s", p.kind())

	if !p.Long {
		if !goneAt.IsZero() {
			h.Violation("session %x cut off for %v (timeout %v) lost its ephemeral %v after the cut", sid, p.hold(), probeTimeout, goneAt.Sub(cutAt))
			return nil
		}
		// A request through the probe's own session proves it alive.
		var exists bool
		if err := retry(ctx, 2*probeTimeout, func(context.Context) error {
			var err error
			exists, _, err = conn.Exists(path)
			return err
		}); err != nil || expired.Load() || conn.SessionID() != sid {
			h.Violation("session %x cut off for %v (timeout %v) did not survive: %v (expired=%v)", sid, p.hold(), probeTimeout, err, expired.Load())
			return nil
		}
		if !exists {
			h.Violation("session %x survived its short cut but does not see its ephemeral", sid)
		}
		if owner, err := ephemeralOwner(ctx, observer, path); err != nil || owner != sid {
			h.Violation("session %x survived its short cut but its ephemeral is gone (owner %x, %v)", sid, owner, err)
		}
		return nil
	}
	if goneAt.IsZero() {
		goneAt = watchGone(ctx, observer, path, time.Now().Add(expirySlack))
	}
	switch lag := goneAt.Sub(cutAt); {
	case goneAt.IsZero():
		h.Violation("session %x cut off for %v (timeout %v) kept its ephemeral", sid, p.hold(), probeTimeout)
	case lag < probeTimeout-expiryLead:
		h.Violation("session %x lost its ephemeral %v after its client was cut off, before its timeout %v", sid, lag, probeTimeout)
	case lag > probeTimeout+expirySlack:
		h.Violation("session %x lost its ephemeral %v after its client was cut off, timeout %v", sid, lag, probeTimeout)
	default:
		h.Logf("session %x expired: ephemeral gone %v after the cut (timeout %v)", sid, lag.Round(time.Millisecond), probeTimeout)
	}
	if err := waitFor(ctx, 3*probeTimeout, expired.Load); err != nil {
		h.Violation("the client of expired session %x was not told it expired once it reached a member again", sid)
	}
	return nil
}

// ephemeralOwner is path's ephemeral owner as a linearizable read sees it.
func ephemeralOwner(ctx context.Context, c *zkclient.Conn, path string) (int64, error) {
	var owner int64
	err := retry(ctx, 20*time.Second, func(octx context.Context) error {
		if err := c.Sync(octx, path); err != nil {
			return err
		}
		st, err := c.Exists(octx, path)
		if err != nil {
			return err
		}
		if st != nil {
			owner = st.EphemeralOwner
		}
		return nil
	})
	return owner, err
}

// watchGone polls (sync + exists) until path is gone or until; it returns
// when it first saw path gone (zero if it did not).
func watchGone(ctx context.Context, c *zkclient.Conn, path string, until time.Time) time.Time {
	for time.Now().Before(until) && ctx.Err() == nil {
		octx, cancel := context.WithDeadline(ctx, until) // the cut is healed on time
		err := c.Sync(octx, path)
		var st *zkclient.Stat
		if err == nil {
			st, err = c.Exists(octx, path)
		}
		cancel()
		if err == nil && st == nil {
			return time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery): // the observer's polling interval
		}
	}
	return time.Time{}
}

// waitFor polls cond until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not within %v", d)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery): // polling interval
		}
	}
	return nil
}
