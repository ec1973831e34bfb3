package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// errExhausted ends a worker early (the delete phase ran out of nodes).
var errExhausted = errors.New("nothing left to do")

// loadOut is what one closed-loop phase measured (warm-up excluded).
type loadOut struct {
	ops, errs  int64
	elapsed    time.Duration
	hist       *Histogram
	serverCPU  float64 // % of one core, all server processes together
	clientCPU  float64 // % of one core, the load generator
	otherCPU   float64 // % of one core, every other process on the machine
	firstError error
}

func (o loadOut) rate() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(o.ops) / o.elapsed.Seconds()
}

// closedLoop runs op on `clients` workers back to back (each waits for its
// reply before the next request) for warmup+measure; only operations that
// start after the warm-up and end before the deadline are counted.
func closedLoop(pids []int, clients int, warmup, measure time.Duration, op func(w, i int) error) loadOut {
	start := time.Now()
	wEnd := start.Add(warmup)
	end := wEnd.Add(measure)
	hists := make([]*Histogram, clients)
	var ops, errs atomic.Int64
	var lastMu sync.Mutex
	last := wEnd
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		h := NewHistogram()
		hists[w] = h
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var myLast time.Time
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := op(w, i)
				t1 := time.Now()
				if errors.Is(err, errExhausted) {
					break
				}
				if t0.Before(wEnd) || t1.After(end) {
					continue
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				h.Record(t1.Sub(t0))
				ops.Add(1)
				myLast = t1
			}
			lastMu.Lock()
			if myLast.After(last) {
				last = myLast
			}
			lastMu.Unlock()
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	out := loadOut{hist: NewHistogram()}
	select {
	case <-time.After(time.Until(wEnd)):
	case <-done:
	}
	m := startCPU(pids)
	select {
	case <-time.After(time.Until(end)):
	case <-done:
	}
	out.serverCPU, out.clientCPU, out.otherCPU = m.stop()
	<-done
	for _, h := range hists {
		out.hist.Merge(h)
	}
	out.ops, out.errs = ops.Load(), errs.Load()
	if !last.Before(end) {
		last = end
	}
	out.elapsed = last.Sub(wEnd)
	if p := firstErr.Load(); p != nil {
		out.firstError = *p
	}
	return out
}

// loadMetrics turns a phase's measurement into report metrics.
func loadMetrics(o loadOut) []Metric {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return []Metric{
		{Name: "ops/s", Value: o.rate(), Better: higher},
		{Name: "p50 ms", Value: ms(o.hist.Quantile(0.50)), Better: lower},
		{Name: "p99 ms", Value: ms(o.hist.Quantile(0.99)), Better: lower},
		{Name: "p99.9 ms", Value: ms(o.hist.Quantile(0.999)), Better: lower},
		{Name: "ops measured", Value: float64(o.ops)},
		{Name: "errors", Value: float64(o.errs), Better: lower},
		{Name: "server CPU %", Value: o.serverCPU},
		{Name: "load-generator CPU %", Value: o.clientCPU},
		{Name: "other processes CPU %", Value: o.otherCPU},
	}
}

// workload holds the sessions and znodes the closed-loop phases share on
// one target.
type workload struct {
	r       *running
	cfg     *config
	conns   []*zk.Conn
	created []atomic.Int64 // per worker: nodes /bench/wN/n0000000.. created
	payload []byte
	rnd     []*rand.Rand
}

const poolSize = 1024

func nodePath(w int, n int64) string { return fmt.Sprintf("/bench/w%d/n%07d", w, n) }

func newWorkload(r *running, cfg *config) (*workload, error) {
	wl := &workload{r: r, cfg: cfg, created: make([]atomic.Int64, cfg.clients), payload: make([]byte, cfg.payload)}
	for i := range wl.payload {
		wl.payload[i] = byte('a' + i%26)
	}
	for w := 0; w < cfg.clients; w++ {
		c, err := zkConnect(r.addrs[w%len(r.addrs)], 30*time.Second)
		if err != nil {
			wl.close()
			return nil, err
		}
		wl.conns = append(wl.conns, c)
		wl.rnd = append(wl.rnd, rand.New(rand.NewPCG(uint64(w), 42)))
	}
	acl := zk.WorldACL(zk.PermAll)
	c := wl.conns[0]
	for _, p := range []string{"/bench", "/bench/pool", "/bench/kids", "/bench/eph", "/bench/fan", "/storm"} {
		if _, err := c.Create(p, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			wl.close()
			return nil, fmt.Errorf("create %s: %w", p, err)
		}
	}
	var tasks []string
	for w := 0; w < cfg.clients; w++ {
		tasks = append(tasks, fmt.Sprintf("/bench/w%d", w))
	}
	for i := 0; i < poolSize; i++ {
		tasks = append(tasks, fmt.Sprintf("/bench/pool/p%04d", i))
	}
	for i := 0; i < 10; i++ {
		tasks = append(tasks, fmt.Sprintf("/bench/kids/k%d", i))
	}
	if err := parallelCreate(wl.conns, tasks, wl.payload); err != nil {
		wl.close()
		return nil, err
	}
	return wl, nil
}

// parallelCreate creates persistent znodes over all connections at once.
func parallelCreate(conns []*zk.Conn, paths []string, data []byte) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, c := range conns {
		wg.Add(1)
		go func(c *zk.Conn) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) {
					return
				}
				if _, err := c.Create(paths[i], data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("create %s: %w", paths[i], err)
					}
					mu.Unlock()
					return
				}
			}
		}(c)
	}
	wg.Wait()
	return first
}

func (wl *workload) close() {
	for _, c := range wl.conns {
		c.Close()
	}
}

func (wl *workload) run(op func(w, i int) error) loadOut {
	return wl.runN(wl.cfg.clients, op)
}

func (wl *workload) runN(clients int, op func(w, i int) error) loadOut {
	return closedLoop(wl.r.pids(), clients, wl.cfg.warmup, wl.cfg.measure, op)
}

// existing picks one of worker w's created nodes (or a pool node).
func (wl *workload) existing(w, i int) string {
	if n := wl.created[w].Load(); n > 0 {
		return nodePath(w, int64(i)%n)
	}
	return fmt.Sprintf("/bench/pool/p%04d", i%poolSize)
}

// opPhase is one closed-loop phase.
type opPhase struct {
	name, title string
	quick       bool
	run         func(wl *workload) loadOut
}

func opPhases(cfg *config) []opPhase {
	acl := zk.WorldACL(zk.PermAll)
	desc := func(op string) string {
		return fmt.Sprintf("%s, %d clients, %d-byte payload, closed loop", op, cfg.clients, cfg.payload)
	}
	phases := []opPhase{
		{"create", desc("create (persistent)"), true, func(wl *workload) loadOut {
			return wl.run(func(w, _ int) error {
				n := wl.created[w].Load()
				_, err := wl.conns[w].Create(nodePath(w, n), wl.payload, 0, acl)
				if err == nil {
					wl.created[w].Add(1)
				}
				return err
			})
		}},
		{"setData", desc("setData"), true, func(wl *workload) loadOut {
			return wl.run(func(w, i int) error { _, err := wl.conns[w].Set(wl.existing(w, i), wl.payload, -1); return err })
		}},
		{"getData", desc("getData"), true, func(wl *workload) loadOut {
			return wl.run(func(w, i int) error { _, _, err := wl.conns[w].Get(wl.existing(w, i)); return err })
		}},
		{"exists", desc("exists"), false, func(wl *workload) loadOut {
			return wl.run(func(w, i int) error { _, _, err := wl.conns[w].Exists(wl.existing(w, i)); return err })
		}},
		{"getChildren", desc("getChildren of a node with 10 children"), false, func(wl *workload) loadOut {
			return wl.run(func(w, _ int) error { _, _, err := wl.conns[w].Children("/bench/kids"); return err })
		}},
		{"delete", desc("delete (the nodes the create phase made, until none is left)"), false, func(wl *workload) loadOut {
			return wl.run(func(w, i int) error {
				if int64(i) >= wl.created[w].Load() {
					return errExhausted
				}
				return wl.conns[w].Delete(nodePath(w, int64(i)), -1)
			})
		}},
	}
	for _, pct := range []int{0, 50, 90, 100} {
		pct := pct
		phases = append(phases, opPhase{fmt.Sprintf("mix %d%% reads", pct),
			desc(fmt.Sprintf("%d%% getData / %d%% setData over %d znodes", pct, 100-pct, poolSize)), pct == 90,
			func(wl *workload) loadOut {
				return wl.run(func(w, _ int) error {
					r := wl.rnd[w]
					p := fmt.Sprintf("/bench/pool/p%04d", r.IntN(poolSize))
					if r.IntN(100) < pct {
						_, _, err := wl.conns[w].Get(p)
						return err
					}
					_, err := wl.conns[w].Set(p, wl.payload, -1)
					return err
				})
			}})
	}
	sc := cfg.sessionClients
	phases = append(phases,
		opPhase{"ephemeral create + close", fmt.Sprintf("%d clients, each: open a session, create an ephemeral, close the session; latency of the whole cycle", sc), false,
			func(wl *workload) loadOut {
				return wl.runN(sc, func(w, i int) error {
					c, err := zkConnect(wl.r.addrs[(w+i)%len(wl.r.addrs)], 10*time.Second)
					if err != nil {
						return err
					}
					defer c.Close()
					_, err = c.Create(fmt.Sprintf("/bench/eph/w%d-%d", w, i), wl.payload, zk.FlagEphemeral, acl)
					return err
				})
			}},
		opPhase{"session connect + close", fmt.Sprintf("%d clients, each: open a session (until the server assigned it), close it; sessions per second", sc), false,
			func(wl *workload) loadOut {
				return wl.runN(sc, func(w, i int) error {
					c, err := zkConnect(wl.r.addrs[(w+i)%len(wl.r.addrs)], 10*time.Second)
					if err != nil {
						return err
					}
					c.Close()
					return nil
				})
			}},
	)
	return phases
}
