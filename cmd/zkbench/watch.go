package main

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// fanOut measures one change seen by many watchers: cfg.fanWatchers raw
// sessions (spread over the members) each set a data watch on /bench/fan,
// one go-zookeeper client sets its data, and the phase measures the time
// from that setData until every watcher received its notification. It
// repeats for cfg.fanRounds rounds (watches are one-shot, so each round sets
// them again).
func fanOut(wl *workload) ([]Metric, error) {
	cfg := wl.cfg
	const path = "/bench/fan"
	n := cfg.fanWatchers
	var mu sync.Mutex
	var recv []time.Time
	var got atomic.Int64
	var allDone chan struct{}
	onWatch := func(i int, ev wire.WatcherEvent, at time.Time) {
		if ev.Path != path || ev.Type != wire.EventNodeDataChanged {
			return
		}
		mu.Lock()
		recv[i] = at
		done := allDone
		mu.Unlock()
		if got.Add(1) == int64(n) {
			close(done)
		}
	}
	p := startPinger(10 * time.Second)
	defer p.close()
	sessions, err := openRaw(wl.r.addrs, n, 128, 30*time.Second, p, onWatch)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range sessions {
			s.drop()
		}
	}()
	hist := NewHistogram()
	var rounds []time.Duration
	for round := 0; round < cfg.fanRounds; round++ {
		mu.Lock()
		recv = make([]time.Time, n)
		allDone = make(chan struct{})
		mu.Unlock()
		got.Store(0)
		if err := forEach(n, 128, func(i int) error {
			_, err := sessions[i].call(wire.OpGetData, &wire.PathWatchRequest{Path: path, Watch: true})
			return err
		}); err != nil {
			return nil, fmt.Errorf("setting watches: %w", err)
		}
		t0 := time.Now()
		if _, err := wl.conns[0].Set(path, wl.payload, -1); err != nil {
			return nil, err
		}
		select {
		case <-allDone:
		case <-time.After(60 * time.Second):
			return nil, fmt.Errorf("round %d: only %d of %d watchers notified within 60s", round, got.Load(), n)
		}
		mu.Lock()
		var last time.Time
		for _, at := range recv {
			hist.Record(at.Sub(t0))
			if at.After(last) {
				last = at
			}
		}
		mu.Unlock()
		rounds = append(rounds, last.Sub(t0))
	}
	sort.Slice(rounds, func(i, j int) bool { return rounds[i] < rounds[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	med := rounds[len(rounds)/2]
	return []Metric{
		{Name: "all notified ms (median round)", Value: ms(med), Better: lower},
		{Name: "all notified ms (slowest round)", Value: ms(rounds[len(rounds)-1]), Better: lower},
		{Name: "notifications/s", Value: float64(n) / med.Seconds(), Better: higher},
		{Name: "per-watcher p50 ms", Value: ms(hist.Quantile(0.5)), Better: lower},
		{Name: "per-watcher p99 ms", Value: ms(hist.Quantile(0.99)), Better: lower},
		{Name: "watchers", Value: float64(n)},
		{Name: "rounds", Value: float64(len(rounds))},
	}, nil
}

// forEach runs f(0..n-1) on `concurrency` goroutines and returns the first error.
func forEach(n, concurrency int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
