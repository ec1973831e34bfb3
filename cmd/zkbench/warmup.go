package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Warming a target until its rate is stable (-warm-stable, quick mode): a
// JVM that has not compiled its hot paths yet serves a fraction of its warm
// rate, so a short run against a cold ZooKeeper flatters us.

const (
	phaseWarm     = "warm-up until stable"
	warmWindow    = time.Second
	warmTolerance = 0.05
	metricStable  = "stable (1 yes, 0 no)"
)

// stableRates says whether the last two of each series are within
// warmTolerance of each other.
func stableRates(series ...[]float64) bool {
	for _, s := range series {
		if len(s) < 2 {
			return false
		}
		a, b := s[len(s)-2], s[len(s)-1]
		if a <= 0 || math.Abs(b-a)/a > warmTolerance {
			return false
		}
	}
	return true
}

// warmUntilStable runs 1 s closed-loop windows of setData, then getData,
// in turn, until two successive windows of each are within 5% of each
// other, at most cfg.warmCap; the result says what warm-up the target got.
func warmUntilStable(wl *workload, cfg *config) Result {
	res := Result{Phase: phaseWarm, Deployment: wl.r.spec.Deployment, System: wl.r.spec.System,
		Title: fmt.Sprintf("before the phases, every target runs 1 s closed-loop windows of setData and of getData in turn (%d clients) until two successive windows of each are within %.0f%% of each other, at most %v; a target that did not get there makes the run's ratios not comparable",
			cfg.clients, 100*warmTolerance, cfg.warmCap)}
	byName := map[string]opPhase{}
	for _, ph := range opPhases(cfg) {
		byName[ph.name] = ph
	}
	c := *cfg
	c.warmup, c.measure = 0, warmWindow
	wl.cfg = &c
	defer func() { wl.cfg = cfg }()
	began := time.Now()
	var sets, gets []float64
	for !stableRates(sets, gets) && time.Since(began) < cfg.warmCap {
		sets = append(sets, byName["setData"].run(wl).rate())
		gets = append(gets, byName["getData"].run(wl).rate())
	}
	stable := 0.0
	if stableRates(sets, gets) {
		stable = 1
	}
	res.Metrics = []Metric{
		{Name: "warm-up s", Value: time.Since(began).Seconds()},
		{Name: "setData ops/s, last window", Value: sets[len(sets)-1], Better: higher},
		{Name: "getData ops/s, last window", Value: gets[len(gets)-1], Better: higher},
		{Name: "setData ops/s, first window", Value: sets[0]},
		{Name: "getData ops/s, first window", Value: gets[0]},
		{Name: "rounds", Value: float64(len(sets))},
		{Name: metricStable, Value: stable},
	}
	logf("%s %s: setData %s, getData %s (ops/s per window), stable: %v", wl.r.spec.Key, phaseWarm, joinRates(sets), joinRates(gets), stable == 1)
	return res
}

func joinRates(rs []float64) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmtNum(r))
	}
	return strings.Join(parts, " ")
}

// comparability lists why the ratios of a run cannot be trusted: a quick
// run whose targets were not warmed until stable, or one that did not get
// there.
func (rep *Report) comparability() []string {
	var notes, unstable []string
	warmed := false
	for _, r := range rep.Results {
		if r.Phase != phaseWarm {
			continue
		}
		warmed = true
		if v, ok := r.metric(metricStable); ok && v == 0 {
			unstable = append(unstable, r.System+" "+r.Deployment)
		}
	}
	if len(unstable) > 0 {
		notes = append(notes, fmt.Sprintf("**Ratios not comparable:** %s did not reach a stable rate in the warm-up (see \"%s\").", strings.Join(unstable, ", "), phaseWarm))
	}
	if rep.Mode == "quick" && !warmed {
		notes = append(notes, "**Ratios not comparable:** quick mode without -warm-stable; ZooKeeper's JVM may still be cold (its rate rises for tens of seconds).")
	}
	return notes
}
