package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Running the phases on the targets: one target at a time, or every target
// started first and each phase run on all of them back to back.

// withTarget starts a fresh target, runs f, and stops the target; a failure
// to start is recorded under phase.
func withTarget(l *launch, base string, spec targetSpec, add func(Result), phase string, f func(r *running) error) {
	t := &benchT{base: filepath.Join(base, fmt.Sprintf("%s-%d", spec.Key, time.Now().UnixNano()))}
	defer t.runCleanups()
	defer func() {
		if v := recover(); v != nil {
			tf, ok := v.(targetFailure)
			if !ok {
				panic(v)
			}
			logf("%s: %s", spec.Key, tf.msg)
			add(Result{Phase: phase, Deployment: spec.Deployment, System: spec.System, Error: firstLine(tf.msg)})
		}
	}()
	logf("starting %s", spec.Key)
	r := l.start(t, spec)
	if r.pprofAddr != "" {
		logf("%s: pprof on http://%s/debug/pprof/", spec.Key, r.pprofAddr)
	}
	if err := f(r); err != nil {
		logf("%s %s: %v", spec.Key, phase, err)
	}
}

func runTarget(l *launch, base string, cfg *config, spec targetSpec, add func(Result)) {
	withTarget(l, base, spec, add, "create", func(r *running) error {
		wl, err := newWorkload(r, cfg)
		if err != nil {
			return err
		}
		defer wl.close()
		if cfg.warmStable {
			add(warmUntilStable(wl, cfg))
		}
		for _, ph := range selectPhases(cfg) {
			if !spec.runs(cfg, ph.name) {
				continue
			}
			out := ph.run(wl)
			res := Result{Phase: ph.name, Title: ph.title, Deployment: spec.Deployment, System: spec.System, Metrics: loadMetrics(out)}
			if out.ops == 0 && out.firstError != nil {
				res.Error, res.Metrics = out.firstError.Error(), nil
			}
			add(res)
			logf("%s %s: %s (first error: %v)", spec.Key, ph.name, brief(res), out.firstError)
		}
		for _, ph := range specialPhases(cfg) {
			if !spec.runs(cfg, ph.name) {
				continue
			}
			ms, err := ph.f(wl)
			res := Result{Phase: ph.name, Title: ph.title, Deployment: spec.Deployment, System: spec.System, Metrics: ms}
			if err != nil {
				res.Error = err.Error()
			}
			add(res)
			logf("%s %s: %s %s", spec.Key, ph.name, brief(res), res.Error)
		}
		if cfg.profileDir != "" && r.pprofAddr != "" && !spec.ClientTLS {
			if err := profile(wl, cfg); err != nil {
				logf("profile: %v", err)
			}
		}
		return nil
	})
}

// live is a started target with its workload.
type live struct {
	spec targetSpec
	t    *benchT
	r    *running
	wl   *workload
}

// runInterleaved starts every target, then runs each phase on each target in
// turn; the servers not under load sit idle (pinned with the others).
func runInterleaved(l *launch, base string, cfg *config, specs []targetSpec, add func(Result)) {
	var ls []*live
	defer func() {
		for i := len(ls) - 1; i >= 0; i-- {
			ls[i].wl.close()
			ls[i].t.runCleanups()
		}
	}()
	for _, spec := range specs {
		t := &benchT{base: filepath.Join(base, fmt.Sprintf("%s-%d", spec.Key, time.Now().UnixNano()))}
		lv, err := func() (lv *live, err error) {
			defer func() {
				if v := recover(); v != nil {
					tf, ok := v.(targetFailure)
					if !ok {
						panic(v)
					}
					err = errors.New(tf.msg)
				}
			}()
			logf("starting %s", spec.Key)
			r := l.start(t, spec)
			if r.pprofAddr != "" {
				logf("%s: pprof on http://%s/debug/pprof/", spec.Key, r.pprofAddr)
			}
			wl, err := newWorkload(r, cfg)
			if err != nil {
				return nil, err
			}
			return &live{spec: spec, t: t, r: r, wl: wl}, nil
		}()
		if err != nil {
			t.runCleanups()
			logf("%s: %v", spec.Key, err)
			add(Result{Phase: "create", Deployment: spec.Deployment, System: spec.System, Error: firstLine(err.Error())})
			continue
		}
		ls = append(ls, lv)
	}
	if cfg.warmStable {
		for _, lv := range ls {
			add(warmUntilStable(lv.wl, cfg))
		}
	}
	var closed []Result
	for _, ph := range selectPhases(cfg) {
		for _, lv := range ls {
			if !lv.spec.runs(cfg, ph.name) {
				continue
			}
			out := ph.run(lv.wl)
			res := Result{Phase: ph.name, Title: ph.title, Deployment: lv.spec.Deployment, System: lv.spec.System, Metrics: loadMetrics(out)}
			if out.ops == 0 && out.firstError != nil {
				res.Error, res.Metrics = out.firstError.Error(), nil
			}
			add(res)
			closed = append(closed, res)
			logf("%s %s: %s (first error: %v)", lv.spec.Key, ph.name, brief(res), out.firstError)
		}
	}
	runOpenLoops(cfg, ls, closed, add)
	for _, ph := range specialPhases(cfg) {
		for _, lv := range ls {
			if !lv.spec.runs(cfg, ph.name) {
				continue
			}
			ms, err := ph.f(lv.wl)
			res := Result{Phase: ph.name, Title: ph.title, Deployment: lv.spec.Deployment, System: lv.spec.System, Metrics: ms}
			if err != nil {
				res.Error = err.Error()
			}
			add(res)
			logf("%s %s: %s %s", lv.spec.Key, ph.name, brief(res), res.Error)
		}
	}
	for _, lv := range ls {
		if cfg.profileDir != "" && lv.r.pprofAddr != "" && !lv.spec.ClientTLS {
			if err := profile(lv.wl, cfg); err != nil {
				logf("profile: %v", err)
			}
		}
	}
}

type specialPhase struct {
	name, title string
	f           func(*workload) ([]Metric, error)
}

func specialPhases(cfg *config) []specialPhase {
	return []specialPhase{
		{"watch fan-out", fmt.Sprintf("%d sessions watch one znode (getData watch), one client changes it: time until every watcher got its notification, over %d rounds", cfg.fanWatchers, cfg.fanRounds), fanOut},
		{"expiry storm", fmt.Sprintf("%d sessions with an ephemeral each stop pinging at once (raw sessions: a last ping, then the socket is closed without closeSession), timeout %v, tickTime %d ms; one observer session per member watches every ephemeral: time until every ephemeral is gone and every observer told", cfg.stormSessions, cfg.stormTimeout, cfg.tickMS), expiryStorm},
	}
}

// selectPhases lists the closed-loop phases to run: -phases if given, else
// the mode's.
func selectPhases(cfg *config) []opPhase {
	all := opPhases(cfg)
	var out []opPhase
	if len(cfg.only) > 0 {
		for _, name := range cfg.only {
			for _, ph := range all {
				if ph.name == name {
					out = append(out, ph)
				}
			}
		}
		return out
	}
	for _, ph := range all {
		if !cfg.quickPhases || ph.quick {
			out = append(out, ph)
		}
	}
	return out
}

func (cfg *config) wants(phase string) bool {
	if len(cfg.only) == 0 {
		return true
	}
	for _, p := range cfg.only {
		if p == phase {
			return true
		}
	}
	return false
}
