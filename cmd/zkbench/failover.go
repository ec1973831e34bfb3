package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/internal/failoverload"
	"github.com/zkensemble/zkensemble/internal/refzk"
)

// The failover phase (issue 22): a 3-member ensemble, ZooKeeper 3.8's and
// ours, under clients writing continuously with 4 s sessions (our client,
// pkg/zkclient, on both); the leader is killed (SIGKILL) and started again,
// reps times. Each repetition measures the time from the kill until the
// first write issued after it is acknowledged, and until every client has
// had one acknowledged; sessions that expire are counted (the repetition
// then gives no "every client" time, and the clients start afresh).

const phaseFailover = "failover"

// failoverTimeout is the clients' session timeout (the 4 s; with
// tickTime 2000 it is also the smallest either server grants).
const failoverTimeout = 4 * time.Second

func failoverTitle(cfg *config) string {
	return fmt.Sprintf("kill -9 of the leader of a 3-member ensemble under %d clients each setting its own znode in a closed loop (pkg/zkclient, %v sessions, tickTime %d ms), %d repetitions (the killed member started again and every member serving before the next): time from the kill until the first write issued after it is acknowledged, and until every client has had one acknowledged; median and worst; sessions expired over all repetitions",
		cfg.clients, failoverTimeout, cfg.tickMS, cfg.failoverReps)
}

// runFailover runs the phase on a fresh ensemble of each system.
func runFailover(l *launch, base string, cfg *config, add func(Result)) {
	for _, spec := range []targetSpec{allTargets[2], allTargets[3]} {
		if !slices.Contains(cfg.failoverSystems, spec.System) {
			continue
		}
		withTarget(l, base, spec, add, phaseFailover, func(r *running) error {
			res := Result{Phase: phaseFailover, Title: failoverTitle(cfg), Deployment: spec.Deployment, System: spec.System}
			ms, err := failovers(r, cfg)
			res.Metrics = ms
			if err != nil {
				res.Error = err.Error()
			}
			add(res)
			logf("%s %s: %s %s", spec.Key, phaseFailover, brief(res), res.Error)
			return err
		})
	}
}

// failovers kills the leader cfg.failoverReps times under the load.
func failovers(r *running, cfg *config) ([]Metric, error) {
	connect := strings.Join(r.addrs, ",")
	opts := failoverload.Options{Clients: cfg.clients, SessionTimeout: failoverTimeout, Root: "/failover"}
	start := func() (*failoverload.Load, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return failoverload.Start(ctx, connect, opts)
	}
	load, err := start()
	if err != nil {
		return nil, err
	}
	defer func() { load.Stop() }()
	var firsts, alls []time.Duration
	expired, stalled := 0, 0
	for rep := range cfg.failoverReps {
		leader, err := awaitRoles(r.servers)
		if err != nil {
			return nil, err
		}
		load.Mark()
		leader.Kill()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := load.AwaitAll(ctx)
		cancel()
		if res.First > 0 {
			firsts = append(firsts, res.First)
		}
		switch {
		case res.Expired > 0:
			expired += res.Expired
			logf("%s failover %d: %d sessions expired", r.spec.Key, rep, res.Expired)
		case err != nil:
			// Not every client wrote within a minute: say what each member
			// said, start the killed one again and go on.
			stalled++
			logf("%s failover %d: %v; members: %s", r.spec.Key, rep, err, modes(r.servers))
		default:
			alls = append(alls, res.All)
		}
		logf("%s failover %d: first write %v, every client %v after the kill", r.spec.Key, rep,
			res.First.Round(time.Millisecond), res.All.Round(time.Millisecond))
		leader.StartAgain()
		if res.Expired > 0 {
			load.Stop()
			if _, err := awaitRoles(r.servers); err != nil {
				return nil, err
			}
			if load, err = start(); err != nil {
				return nil, err
			}
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return []Metric{
		{Name: "first write median ms", Value: ms(median(firsts)), Better: "lower"},
		{Name: "first write worst ms", Value: ms(slices.Max(append(firsts, 0))), Better: "lower"},
		{Name: "every client median ms", Value: ms(median(alls)), Better: "lower"},
		{Name: "every client worst ms", Value: ms(slices.Max(append(alls, 0))), Better: "lower"},
		{Name: "sessions expired", Value: float64(expired), Better: "lower"},
		{Name: "repetitions without every client back within a minute", Value: float64(stalled), Better: "lower"},
		{Name: "repetitions", Value: float64(cfg.failoverReps)},
	}, nil
}

// median of ds (the mean of the middle two for an even count), 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// modes is what each member's srvr says its mode is.
func modes(ss []*refzk.Server) string {
	var out []string
	for _, s := range ss {
		mode := "no answer"
		if o, err := refzk.FourLetter(s.Addr, "srvr"); err == nil {
			mode = strings.TrimSpace(lineWith(o, "Mode: "))
		}
		out = append(out, s.Addr+" "+mode)
	}
	return strings.Join(out, ", ")
}

// lineWith is the first line of out containing sub, else the first line.
func lineWith(out, sub string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return firstLine(out)
}

// awaitRoles waits until one member leads and the others follow (srvr) and
// returns the leader.
func awaitRoles(ss []*refzk.Server) (*refzk.Server, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var leader *refzk.Server
		followers := 0
		for _, s := range ss {
			out, _ := refzk.FourLetter(s.Addr, "srvr")
			switch {
			case strings.Contains(out, "Mode: leader"):
				leader = s
			case strings.Contains(out, "Mode: follower"):
				followers++
			}
		}
		if leader != nil && followers == len(ss)-1 {
			return leader, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no leader with %d followers after a minute", len(ss)-1)
		}
		time.Sleep(50 * time.Millisecond) // poll while the ensemble elects
	}
}

// failoverChecks are the targets of issue 22: median no worse than
// ZooKeeper's, worst within twice ZooKeeper's median, no session expired.
func (rep *Report) failoverChecks() []Check {
	o, okO := rep.find(phaseFailover, depEnsemble, sysOurs)
	z, okZ := rep.find(phaseFailover, depEnsemble, sysZK)
	if !okO && !okZ {
		return nil
	}
	if !okO || !okZ || o.Error != "" || z.Error != "" {
		return []Check{{Target: "failover (issue 22)", Detail: "not measured on both systems", Status: "not measured"}}
	}
	var out []Check
	for _, what := range []string{"first write", "every client"} {
		om, _ := o.metric(what + " median ms")
		ow, _ := o.metric(what + " worst ms")
		zm, _ := z.metric(what + " median ms")
		c := Check{Target: "failover, " + what + ": median ≤ ZooKeeper's, worst ≤ 2× ZooKeeper's median",
			Detail: fmt.Sprintf("ours median %s ms, worst %s ms; ZooKeeper median %s ms", fmtNum(om), fmtNum(ow), fmtNum(zm)),
			Status: "missed"}
		if om <= zm && ow <= 2*zm {
			c.Status = "met"
		}
		out = append(out, c)
	}
	oe, _ := o.metric("sessions expired")
	ze, _ := z.metric("sessions expired")
	out = append(out, Check{Target: "failover: no session expired (ours)",
		Detail: fmt.Sprintf("ours %s, ZooKeeper %s", fmtNum(oe), fmtNum(ze)),
		Status: map[bool]string{true: "met", false: "missed"}[oe == 0]})
	return out
}
