package main

import (
	"fmt"
	"strings"
)

// evaluate compares the run against the targets of issue 6.
func (rep *Report) evaluate(clients int) {
	get := func(phase, dep, sys, metric string) (float64, bool) {
		r, ok := rep.find(phase, dep, sys)
		if !ok || r.Error != "" {
			return 0, false
		}
		return r.metric(metric)
	}
	ratioCheck := func(target, phase, dep, metric string, want float64, atMost bool) Check {
		o, okO := get(phase, dep, sysOurs, metric)
		z, okZ := get(phase, dep, sysZK, metric)
		c := Check{Target: target, Status: "not measured"}
		if !okO || !okZ || z == 0 {
			c.Detail = fmt.Sprintf("%s %s not measured on both systems", phase, dep)
			return c
		}
		r := o / z
		c.Detail = fmt.Sprintf("%s %s: ours %s, ZooKeeper %s, ratio %.2f (want %s %.2f)", phase, metric, fmtNum(o), fmtNum(z), r,
			map[bool]string{true: "≤", false: "≥"}[atMost], want)
		if (atMost && r <= want) || (!atMost && r >= want) {
			c.Status = "met"
		} else {
			c.Status = "missed"
		}
		return c
	}
	at := fmt.Sprintf("%d clients", clients)
	rep.Checks = append(rep.Checks,
		ratioCheck("standalone write throughput ≥ 2× ZooKeeper ("+at+")", "setData", depStandalone, "ops/s", 2, false),
		ratioCheck("standalone read throughput ≥ 1.5× ZooKeeper ("+at+")", "getData", depStandalone, "ops/s", 1.5, false),
	)
	// p99 no worse, for writes and reads.
	p99 := Check{Target: "standalone p99 no worse than ZooKeeper's (setData, getData)", Status: "met"}
	var parts []string
	for _, ph := range []string{"setData", "getData"} {
		o, okO := get(ph, depStandalone, sysOurs, "p99 ms")
		z, okZ := get(ph, depStandalone, sysZK, "p99 ms")
		if !okO || !okZ {
			p99.Status = "not measured"
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ours %s ms vs %s ms", ph, fmtNum(o), fmtNum(z)))
		if o > z && p99.Status == "met" {
			p99.Status = "missed"
		}
	}
	p99.Detail = strings.Join(parts, "; ")
	connected, connectedOK := get(phaseSessions(100000), depStandalone, sysOurs, "connected sessions")
	rep.Checks = append(rep.Checks, p99,
		ratioCheck("3-member ensemble write throughput ≥ 1.5× ZooKeeper's ensemble ("+at+")", "setData", depEnsemble, "ops/s", 1.5, false),
		sessionsNote(ratioCheck("memory for 100k sessions ≤ 1/3 of ZooKeeper's (RSS)", phaseSessions(100000), depStandalone, "RSS MiB", 1.0/3, true),
			connected, connectedOK),
		ratioCheck("memory for 1M znodes ≤ 1/3 of ZooKeeper's (RSS)", phaseZnodes, depStandalone, "RSS MiB", 1.0/3, true),
	)
	for _, dep := range []string{depStandalone, depEnsemble} {
		c := Check{Target: "expiry storm finished within one tick of the timeout (ours, " + dep + ")", Status: "not measured"}
		over, ok1 := get("expiry storm", dep, sysOurs, "over the timeout s")
		tick, ok2 := get("expiry storm", dep, sysOurs, "tick s")
		if ok1 && ok2 {
			c.Detail = fmt.Sprintf("all gone and told %.2f s after the timeout, tick %.1f s", over, tick)
			if zo, ok := get("expiry storm", dep, sysZK, "over the timeout s"); ok {
				c.Detail += fmt.Sprintf(" (ZooKeeper: %.2f s)", zo)
			}
			c.Status = map[bool]string{true: "met", false: "missed"}[over <= tick]
		}
		rep.Checks = append(rep.Checks, c)
	}
	rep.Checks = append(rep.Checks, rep.failoverChecks()...)
}

// sessionsNote says how many of the 100k sessions were connected when the
// file-descriptor limit kept the rest detached.
func sessionsNote(c Check, connected float64, ok bool) Check {
	if ok && connected < 100000 {
		c.Detail += fmt.Sprintf("; %s of the 100k sessions connected, the rest opened then disconnected (the file-descriptor limit here)", fmtNum(connected))
	}
	return c
}
