package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// expiryStorm opens cfg.stormSessions raw sessions (spread over the
// members) with an ephemeral each, lets one observer session per member set
// an exists watch on every ephemeral, then makes all storm sessions stop
// pinging at once: each gets a last ping, then its TCP connection is closed
// without a closeSession request (a raw handshake, no proxy). It measures
// the time from that moment until every ephemeral is gone and every
// observer got every NodeDeleted notification.
func expiryStorm(wl *workload) ([]Metric, error) {
	cfg := wl.cfg
	r := wl.r
	n := cfg.stormSessions
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("/storm/e%06d", i)
	}
	index := make(map[string]int, n)
	for i, p := range paths {
		index[p] = i
	}
	var mu sync.Mutex
	gone := make([]time.Time, n) // first NodeDeleted seen for each ephemeral
	var lastTold time.Time
	var told atomic.Int64
	want := int64(n * len(r.addrs))
	allTold := make(chan struct{})
	onWatch := func(_ int, ev wire.WatcherEvent, at time.Time) {
		i, ok := index[ev.Path]
		if !ok || ev.Type != wire.EventNodeDeleted {
			return
		}
		mu.Lock()
		if gone[i].IsZero() {
			gone[i] = at
		}
		if at.After(lastTold) {
			lastTold = at
		}
		mu.Unlock()
		if told.Add(1) == want {
			close(allTold)
		}
	}
	p := startPinger(cfg.stormTimeout / 3)
	defer p.close()
	openStart := time.Now()
	storm, err := openRaw(r.addrs, n, 128, cfg.stormTimeout, p, nil)
	if err != nil {
		return nil, err
	}
	openTook := time.Since(openStart)
	defer func() {
		for _, s := range storm {
			s.drop()
		}
	}()
	if err := forEach(n, 128, func(i int) error {
		_, err := storm[i].call(wire.OpCreate, &wire.CreateRequest{Path: paths[i], Data: []byte("x"), ACL: openACL, Flags: wire.ModeEphemeral})
		if err != nil {
			return fmt.Errorf("create %s: %w", paths[i], err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	observers, err := openRaw(r.addrs, len(r.addrs), len(r.addrs), 30*time.Second, p, onWatch)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range observers {
			s.drop()
		}
	}()
	for _, o := range observers {
		if err := setExistsWatches(o, paths); err != nil {
			return nil, err
		}
	}
	negotiated := storm[0].timeout
	// Stop pinging at once: one last ping each, then close every socket.
	for _, s := range storm {
		_ = s.ping() // a failed ping shows as the session expiring, which the phase measures
	}
	t0 := time.Now()
	for _, s := range storm {
		s.drop()
	}
	dropTook := time.Since(t0)
	limit := negotiated + 60*time.Second
	select {
	case <-allTold:
	case <-time.After(limit):
		return nil, fmt.Errorf("only %d of %d notifications within %v", told.Load(), want, limit)
	}
	mu.Lock()
	var lastGone time.Time
	for _, at := range gone {
		if at.After(lastGone) {
			lastGone = at
		}
	}
	toldAt := lastTold
	mu.Unlock()
	left := -1
	if kids, _, err := wl.conns[0].Children("/storm"); err == nil {
		left = len(kids)
	}
	secs := func(d time.Duration) float64 { return d.Seconds() }
	tick := time.Duration(cfg.tickMS) * time.Millisecond
	return []Metric{
		{Name: "all gone and told s", Value: secs(toldAt.Sub(t0)), Better: lower},
		{Name: "over the timeout s", Value: secs(toldAt.Sub(t0) - negotiated), Better: lower},
		{Name: "last ephemeral gone s", Value: secs(lastGone.Sub(t0)), Better: lower},
		{Name: "session timeout s", Value: secs(negotiated)},
		{Name: "tick s", Value: secs(tick)},
		{Name: "sessions", Value: float64(n)},
		{Name: "observer sessions", Value: float64(len(observers))},
		{Name: "notifications", Value: float64(want)},
		{Name: "ephemerals left", Value: float64(left), Better: lower},
		{Name: "sessions opened/s (setup)", Value: float64(n) / openTook.Seconds(), Better: higher},
		{Name: "drop loop ms", Value: float64(dropTook) / float64(time.Millisecond)},
	}, nil
}

// setExistsWatches sets an exists watch on every path through one session,
// pipelined (a window of requests in flight).
func setExistsWatches(s *rawSession, paths []string) error {
	const window = 256
	chs := make(chan (<-chan rawReply), window)
	errc := make(chan error, 1)
	go func() {
		var first error
		for ch := range chs {
			select {
			case rep := <-ch:
				if rep.err != 0 && first == nil {
					first = wire.ErrCode(rep.err)
				}
			case <-time.After(60 * time.Second):
				if first == nil {
					first = errRawTimeout
				}
			}
		}
		errc <- first
	}()
	var sendErr error
	for _, p := range paths {
		ch, err := s.send(wire.OpExists, &wire.PathWatchRequest{Path: p, Watch: true})
		if err != nil {
			sendErr = err
			break
		}
		chs <- ch
	}
	close(chs)
	if err := <-errc; err != nil {
		return fmt.Errorf("exists watches: %w", err)
	}
	return sendErr
}
