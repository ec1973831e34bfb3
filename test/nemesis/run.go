package nemesis

import (
	"context"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// Config is one run.
type Config struct {
	Members int
	Seed    uint64
	// Duration is how long the schedule runs (it stops after the step
	// that passes it); 0 is one round (each kind of step once).
	Duration time.Duration
	// Out is where a failing run saves its artifacts (a directory per run
	// is made in it).
	Out string
	// DataDir, when set, gives member id's data directory (see refzk.Options).
	DataDir func(id int) string
	// Faults, when set, replaces each step's fault before it is injected
	// (a disk-fault nemesis adds its own kinds this way); nil keeps them.
	Faults func(step int, f Fault) Fault
}

// recoverWithin bounds how long the ensemble may take to serve again, with
// one leader, after a fault is healed.
const recoverWithin = 60 * time.Second

// Run starts an ensemble, runs the workload through the seed's schedule,
// checks the history and returns the figures. A run with violations fails t
// and saves its artifacts.
func Run(t *testing.T, cfg Config) Report {
	steps := Schedule(cfg.Seed, cfg.Members, cfg.Duration)
	t.Logf("seed %d (replay: SEED=%d), %d members, %d steps", cfg.Seed, cfg.Seed, cfg.Members, len(steps))
	start := time.Now()
	c := StartCluster(t, cfg.Members, refzk.Options{TickTime: 500, DataDir: cfg.DataDir})
	h := newHistory()
	var results []checked
	t.Cleanup(func() {
		if t.Failed() {
			dir := saveArtifacts(t, cfg, c, h, results)
			t.Logf("the failing run's history, member logs and seed are in %s (replay: SEED=%d)", dir, cfg.Seed)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	w := &workload{c: c, h: h}
	admin, err := w.connect(workloadTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	for _, p := range []string{"/reg", "/seq", "/eph"} {
		if _, _, err := admin.Create(ctx, p, nil, zkclient.Persistent, acl); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
	if err := w.prepare(ctx, admin, 0); err != nil {
		t.Fatal(err)
	}
	wctx, stopWorkload := context.WithCancel(ctx)
	defer stopWorkload()
	err = w.start(wctx)
	defer w.close()
	if err != nil {
		t.Fatal(err)
	}
	stepsStart, epochs := time.Now(), int64(0)
	for i, s := range steps {
		if cfg.Duration > 0 && time.Since(stepsStart) >= cfg.Duration {
			steps = steps[:i]
			break
		}
		if err := w.prepare(ctx, admin, int64(i+1)); err != nil {
			h.Violation("step %d: the ensemble did not take a write after recovering: %v", i, err)
			break
		}
		if cfg.Faults != nil && s.Fault != nil {
			s.Fault = cfg.Faults(i, s.Fault)
		}
		epochs = int64(i + 1)
		w.epoch.Store(epochs)
		t.Logf("%v step %d/%d: %s", time.Since(start).Round(time.Second), i+1, len(steps), s)
		if err := doStep(ctx, c, h, admin, s, i); err != nil {
			t.Errorf("step %d (%s): %v", i, s, err)
			break
		}
		if err := c.WaitHealthy(recoverWithin); err != nil {
			h.Violation("step %d (%s): the ensemble did not recover within %v: %v", i, s, recoverWithin, err)
			break
		}
	}
	stopWorkload()
	w.wg.Wait()
	final := finalReads(ctx, w, admin, epochs)
	w.close()
	results = h.check(final)
	r := h.report()
	r.Seed, r.Members, r.Duration = cfg.Seed, cfg.Members, time.Since(start)
	for _, s := range steps[:epochs] {
		if s.Probe != nil {
			r.SessionProbes++
		}
	}
	h.mu.Lock()
	for _, line := range h.log {
		t.Log(line)
	}
	h.mu.Unlock()
	t.Log(r)
	for _, v := range r.Violations {
		t.Errorf("violation: %s", v)
	}
	return r
}

// doStep injects the step's fault, holds it and heals it.
func doStep(ctx context.Context, c *Cluster, h *History, observer *zkclient.Conn, s Step, i int) error {
	if s.Probe != nil {
		return s.Probe.run(ctx, c, h, observer, i)
	}
	if err := s.Fault.Inject(c); err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	h.fault(s.Fault.Kind())
	h.Logf("inject %s, hold %v", s.Fault, s.Hold)
	select {
	case <-ctx.Done():
	case <-time.After(s.Hold): // how long the fault lasts
	}
	if err := Took(c, s.Fault); err != nil {
		h.Violation("step %d (%s): %v", i, s.Fault, err)
	}
	if err := s.Fault.Heal(c); err != nil {
		return fmt.Errorf("heal: %w", err)
	}
	h.Logf("heal %s", s.Fault.Kind())
	return nil
}

// finalReads closes the history: a linearizable read of every register,
// and every sequential parent's children; every session the workload
// owned must still have its ephemeral.
func finalReads(ctx context.Context, w *workload, admin *zkclient.Conn, epochs int64) map[string][]string {
	final := map[string][]string{}
	for e := int64(0); e <= epochs; e++ {
		for k := 0; k < regKeys; k++ {
			key := regKey(e, k)
			err := retry(ctx, 30*time.Second, func(octx context.Context) error {
				call := time.Now()
				if err := admin.Sync(octx, key); err != nil {
					return err
				}
				data, _, err := admin.Get(octx, key)
				if err == nil {
					w.h.get(-1, key, string(data), call)
				}
				return err
			})
			if err != nil {
				w.h.Violation("final read of %s: %v", key, err)
			}
		}
		parent := seqParent(e)
		err := retry(ctx, 30*time.Second, func(octx context.Context) error {
			if err := admin.Sync(octx, parent); err != nil {
				return err
			}
			children, _, err := admin.Children(octx, parent)
			final[parent] = children
			return err
		})
		if err != nil {
			w.h.Violation("final read of %s: %v", parent, err)
		}
	}
	w.mu.Lock()
	owned := append([]ownedSession(nil), w.sessions...)
	w.mu.Unlock()
	for _, s := range owned {
		owner, err := ephemeralOwner(ctx, admin, s.path)
		if err != nil || owner != s.sid {
			w.h.Violation("the ephemeral %s of %s (session %x, never expired) is gone or not its own: owner %x, %v", path.Base(s.path), s.name, s.sid, owner, err)
		}
	}
	return final
}
