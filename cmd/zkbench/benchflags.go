package main

import (
	"flag"
	"time"
)

// phaseFlags are the flags of the open-loop, restart and warm-up phases;
// each defaults to the mode's choice unless given.
type phaseFlags struct {
	openLoop     *bool
	openRate     *float64
	openFraction *float64
	restart      *bool
	restartSnap  *int
	warmStable   *bool
	warmCap      *time.Duration
}

func registerPhaseFlags() *phaseFlags {
	return &phaseFlags{
		openLoop:     flag.Bool("open-loop", false, `run the open-loop phases ("setData open loop", "getData open loop") after the closed-loop ones (default: on in full mode)`),
		openRate:     flag.Float64("open-rate", 0, "offered rate of the open-loop phases, requests/s (0: -open-fraction of ZooKeeper's closed-loop rate for the same operation and deployment in this run)"),
		openFraction: flag.Float64("open-fraction", 0.7, "the open-loop rate as a fraction of ZooKeeper's closed-loop maximum (when -open-rate is 0)"),
		restart:      flag.Bool("restart", false, `after the znode-memory phase, build the same tree on fresh servers with -restart-snapcount and measure the data directory and the restart time ("snapshot on disk, 1M znodes", "restart with 1M znodes"; default: on in full mode)`),
		restartSnap:  flag.Int("restart-snapcount", 10000, "snapCount of both servers in the restart phases"),
		warmStable:   flag.Bool("warm-stable", false, "before the closed-loop phases, warm every target with alternating 1 s windows of setData and getData until two successive windows of each are within 5% (default: on in quick mode)"),
		warmCap:      flag.Duration("warm-cap", 30*time.Second, "longest warm-up of -warm-stable; a target not stable by then marks the run's ratios as not comparable"),
	}
}

// apply sets cfg's fields: the mode's defaults, then the flags given.
func (f *phaseFlags) apply(cfg *config) {
	set := map[string]bool{}
	flag.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg.openLoop = cfg.mode == "full"
	cfg.restart = cfg.mode == "full"
	cfg.warmStable = cfg.mode == "quick"
	if set["open-loop"] {
		cfg.openLoop = *f.openLoop
	}
	if set["restart"] {
		cfg.restart = *f.restart
	}
	if set["warm-stable"] {
		cfg.warmStable = *f.warmStable
	}
	cfg.openRate, cfg.openFraction = *f.openRate, *f.openFraction
	cfg.restartSnapCount = *f.restartSnap
	cfg.warmCap = *f.warmCap
}

// runsRestart says whether the restart phases run.
func (cfg *config) runsRestart() bool {
	if cfg.znodes <= 0 {
		return false
	}
	if len(cfg.only) == 0 {
		return cfg.restart
	}
	return cfg.wants(phaseRestart) || cfg.wants(phaseSnapshot)
}
