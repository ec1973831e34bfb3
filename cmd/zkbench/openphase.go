package main

import (
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// The open-loop phases in a run: setData and getData on every target whose
// deployment ZooKeeper also ran, at a fixed rate (-open-rate, or
// -open-fraction of ZooKeeper's closed-loop rate for the same operation and
// deployment in this run).

var openOps = []string{"setData", "getData"}

func openPhaseName(op string) string { return op + " open loop" }

// runsOpen says whether the open-loop phase of op runs: in the modes that
// turn it on, or when -phases names it.
func (cfg *config) runsOpen(op string) bool {
	if len(cfg.only) == 0 {
		return cfg.openLoop
	}
	return cfg.wants(openPhaseName(op))
}

func openTitle(cfg *config, op string) string {
	rate := fmt.Sprintf("%.0f%% of ZooKeeper's closed-loop %s rate on the same deployment in this run", 100*cfg.openFraction, op)
	if cfg.openRate > 0 {
		rate = fmt.Sprintf("%s requests/s (-open-rate)", fmtNum(cfg.openRate))
	}
	return fmt.Sprintf("%s, open loop: requests issued on a fixed schedule at %s over %d raw sessions (pkg/wire; the requests due at one wake-up of the scheduler written in one write per session, replies matched by order), %d-byte payload, over the %d znodes of the mixes, %v warm-up, %v measured; latency from each request's scheduled time, so stalls are not hidden (no coordinated omission). The row fails if the load generator sent over %.0f%% of its requests more than %v late or could not send one (%d in flight), a request got an error, or a reply was missing %v after the last request",
		op, rate, cfg.clients, cfg.payload, poolSize, cfg.warmup, cfg.measure, 100*openLateShare, openLate, openMaxInFlight, openDrain)
}

// openEncoder writes request k of an open-loop phase: on the pool of
// znodes of the mixes (the create phase's znodes are gone after delete).
func (wl *workload) openEncoder(op string) func(e *wire.Encoder, w, k int) {
	path := func(k int) string { return fmt.Sprintf("/bench/pool/p%04d", k%poolSize) }
	if op == "setData" {
		return func(e *wire.Encoder, _, k int) {
			(&wire.RequestHeader{Xid: int32(k + 1), Type: wire.OpSetData}).Encode(e)
			(&wire.SetDataRequest{Path: path(k), Data: wl.payload, Version: -1}).Encode(e)
		}
	}
	return func(e *wire.Encoder, _, k int) {
		(&wire.RequestHeader{Xid: int32(k + 1), Type: wire.OpGetData}).Encode(e)
		(&wire.PathWatchRequest{Path: path(k)}).Encode(e)
	}
}

// runOpenLoops runs the open-loop phases on the live targets; closed are
// the closed-loop results of this run, where ZooKeeper's rates come from.
func runOpenLoops(cfg *config, ls []*live, closed []Result, add func(Result)) {
	for _, op := range openOps {
		name := openPhaseName(op)
		if !cfg.runsOpen(op) {
			continue
		}
		for _, lv := range ls {
			if lv.spec.ClientTLS && len(cfg.only) == 0 {
				continue
			}
			res := Result{Phase: name, Title: openTitle(cfg, op), Deployment: lv.spec.Deployment, System: lv.spec.System}
			rate := cfg.openRate
			if rate <= 0 {
				zk, ok := findResult(closed, op, lv.spec.Deployment, sysZK)
				v, okV := zk.metric("ops/s")
				if !ok || !okV || zk.Error != "" || v <= 0 {
					continue // no ZooKeeper counterpart in this deployment: nothing to compare with
				}
				rate = cfg.openFraction * v
			}
			pc, err := dialPipe(lv.r.addrs, cfg.clients, lv.wl.openEncoder(op))
			if err != nil {
				res.Error = err.Error()
				add(res)
				continue
			}
			m := startCPU(lv.r.pids())
			st := openLoop(cfg.clients, rate, cfg.warmup, cfg.measure, pc)
			server, client, other := m.stop()
			pc.close()
			res.Metrics = append(st.metrics(rate),
				Metric{Name: "server CPU %", Value: server},
				Metric{Name: "load-generator CPU %", Value: client},
				Metric{Name: "other processes CPU %", Value: other})
			res.Error = st.failure()
			add(res)
			logf("%s %s at %.0f/s: %s %s", lv.spec.Key, name, rate, brief(res), res.Error)
			if res.Error != "" {
				logf("%s %s FAILED: %s", lv.spec.Key, name, res.Error)
			}
		}
	}
}

func findResult(rs []Result, phase, deployment, system string) (Result, bool) {
	for _, r := range rs {
		if r.Phase == phase && r.Deployment == deployment && r.System == system {
			return r, true
		}
	}
	return Result{}, false
}
