// Command zkbench runs the same workloads against our server and Apache
// ZooKeeper 3.8 (Debian's package) on this machine, standalone and as
// 3-member ensembles, and writes a side-by-side report (Markdown and JSON):
// closed-loop throughput and latency percentiles per operation and
// read/write mix, session churn, watch fan-out, an expiry storm, the
// memory of many idle sessions and of a million znodes (issue 6), and
// (issue 18) latency at a fixed offered rate (open loop), the snapshot and
// the restart time of a server holding a million znodes, client TLS rows,
// and a warm-up until every target's rate is stable.
//
//	go run ./cmd/zkbench -mode quick -out-md bench.md -out-json bench.json
//	go run ./cmd/zkbench -mode full  -out-md bench.md -out-json bench.json -profile-dir prof
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// config is the run's shape; the mode sets defaults, flags override them.
type config struct {
	mode             string
	targets          []targetSpec
	clients, payload int
	sessionClients   int
	warmup, measure  time.Duration
	quickPhases      bool
	fanWatchers      int
	fanRounds        int
	stormSessions    int
	stormTimeout     time.Duration
	tickMS           int
	scaleLevels      []int
	znodes           int
	scaleSettle      time.Duration
	scaleWindow      time.Duration
	heapMB           int
	profileDir       string
	only             []string
	failoverReps     int
	failoverSystems  []string
	// open-loop, restart and warm-up phases (benchflags.go)
	openLoop, restart, warmStable bool
	openRate, openFraction        float64
	restartSnapCount              int
	warmCap                       time.Duration
}

func logf(format string, args ...any) { log.Printf(format, args...) }

func main() {
	log.SetFlags(log.Ltime)
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "zkbench:", err)
		os.Exit(1)
	}
}

func run() error {
	mode := flag.String("mode", "quick", "quick (about a minute: standalone targets, a few phases, no session scale) or full")
	outMD := flag.String("out-md", "", "write the Markdown report here")
	outJSON := flag.String("out-json", "", "write the JSON report here")
	targets := flag.String("targets", "", "comma-separated targets (default: the mode's): ours-standalone, zk-standalone, ours-ensemble, zk-ensemble, ours-ensemble-tls, ours-standalone-clienttls, zk-standalone-clienttls")
	clients := flag.Int("clients", 64, "concurrent sessions of the closed-loop phases")
	payload := flag.Int("payload", 100, "payload bytes of create and setData")
	warmup := flag.Duration("warmup", 0, "discarded warm-up per phase (default: the mode's)")
	measure := flag.Duration("measure", 0, "measured time per phase (default: the mode's)")
	scale := flag.String("scale", "", `idle-session levels, e.g. "10000,50000,100000", or "none" (default: the mode's)`)
	znodes := flag.Int("znodes", -1, "znodes for the memory phase, 0 to skip (default: the mode's)")
	storm := flag.Int("storm-sessions", 0, "sessions in the expiry storm (default: the mode's)")
	fan := flag.Int("fan-watchers", 0, "watchers in the fan-out phase (default: the mode's)")
	heap := flag.Int("heap-mb", 2048, "ZooKeeper's fixed JVM heap (-Xms = -Xmx)")
	tick := flag.Int("tick-ms", 2000, "tickTime of both servers")
	pin := flag.Bool("pin", runtime.NumCPU() >= 2, "pin the servers to CPUs 1.. (taskset) and the load generator to CPU 0")
	bin := flag.String("bin", "", "our server binary (default: go build ./cmd/zkensemble-server)")
	workdir := flag.String("workdir", "", "where servers keep their data (default: a new directory under $TMPDIR, removed afterwards)")
	profileDir := flag.String("profile-dir", "", "after the ours-standalone phases, take CPU and allocation profiles of our server under setData and getData load and write them here")
	scaleTargets := flag.String("scale-targets", "ours-standalone,zk-standalone", "systems the session-scale, znode-memory, snapshot and restart phases run on (standalone)")
	gomaxprocs := flag.Int("server-gomaxprocs", 0, "set GOMAXPROCS for our server processes (0: the Go runtime's default, one per CPU the process may run on)")
	phases := flag.String("phases", "", `run only these phases, in this order (repeats allowed), e.g. "create,setData,setData,watch fan-out"`)
	interleave := flag.Bool("interleave", true, "start every target at once and run each phase on all of them back to back (ours, then ZooKeeper), so that noise from other processes hits both sides of a comparison alike; false: one target after the other")
	failoverReps := flag.Int("failover-reps", -1, "repetitions of the failover phase, 0 to skip (default: the mode's)")
	failoverSystems := flag.String("failover-systems", "ours,zookeeper", "systems the failover phase runs on")
	fromJSON := flag.String("from-json", "", "render a report written earlier with -out-json again (to -out-md) instead of running")
	pf := registerPhaseFlags()
	flag.Parse()
	if *fromJSON != "" {
		return rerender(*fromJSON, *outMD)
	}

	cfg := &config{mode: *mode, clients: *clients, payload: *payload, heapMB: *heap, tickMS: *tick, profileDir: *profileDir, sessionClients: 16}
	switch *mode {
	case "quick":
		cfg.targets = allTargets[:2]
		cfg.warmup, cfg.measure = 500*time.Millisecond, 1500*time.Millisecond
		cfg.quickPhases = true
		cfg.fanWatchers, cfg.fanRounds = 1000, 2
		cfg.stormSessions, cfg.stormTimeout = 1000, 2*time.Duration(*tick)*time.Millisecond
		cfg.znodes = 0
		cfg.failoverReps = 3
	case "full":
		cfg.targets = allTargets
		cfg.warmup, cfg.measure = 2*time.Second, 5*time.Second
		cfg.fanWatchers, cfg.fanRounds = 10000, 5
		cfg.stormSessions, cfg.stormTimeout = 10000, 10*time.Second
		cfg.scaleLevels = []int{10000, 50000, 100000}
		cfg.znodes = 1000000
		cfg.scaleSettle, cfg.scaleWindow = 10*time.Second, 10*time.Second
		cfg.failoverReps = 20
	default:
		return fmt.Errorf("-mode %q: want quick or full", *mode)
	}
	if *phases != "" {
		for _, p := range strings.Split(*phases, ",") {
			cfg.only = append(cfg.only, strings.TrimSpace(p))
		}
	}
	if *targets != "" {
		ts, err := parseTargets(*targets)
		if err != nil {
			return err
		}
		cfg.targets = ts
	}
	if *warmup > 0 {
		cfg.warmup = *warmup
	}
	if *measure > 0 {
		cfg.measure = *measure
	}
	if *storm > 0 {
		cfg.stormSessions = *storm
	}
	if *fan > 0 {
		cfg.fanWatchers = *fan
	}
	if *znodes >= 0 {
		cfg.znodes = *znodes
	}
	if *failoverReps >= 0 {
		cfg.failoverReps = *failoverReps
	}
	cfg.failoverSystems = strings.Split(*failoverSystems, ",")
	pf.apply(cfg)
	if *scale == "none" {
		cfg.scaleLevels = nil
	} else if *scale != "" {
		cfg.scaleLevels = nil
		for _, f := range strings.Split(*scale, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("-scale: %w", err)
			}
			cfg.scaleLevels = append(cfg.scaleLevels, n)
		}
	}
	if cfg.scaleSettle == 0 {
		cfg.scaleSettle, cfg.scaleWindow = 10*time.Second, 10*time.Second
	}
	if err := refzk.Available(); err != nil {
		return err
	}
	nofile := raiseNofile()

	began := time.Now()
	rep := &Report{Started: began.UTC().Format("2006-01-02 15:04 UTC"), Mode: *mode, Clients: cfg.clients, Machine: machine()}

	base := *workdir
	if base == "" {
		d, err := os.MkdirTemp("", "zkbench-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(d) }()
		base = d
	}
	l := &launch{bin: *bin}
	if l.bin == "" {
		l.bin = refzk.BuildOurs(&benchT{base: base})
	}
	zero, yes := 0, true
	l.opts = refzk.Options{TickTime: cfg.tickMS, MaxClientCnxns: &zero, ForceSync: &yes, HeapMB: cfg.heapMB}
	pinNote := "no CPU pinning"
	if *pin {
		n := runtime.NumCPU()
		l.serverCPU = "1"
		if n > 2 {
			l.serverCPU = fmt.Sprintf("1-%d", n-1)
		}
		if err := pinSelf(0); err != nil {
			return err
		}
		pinNote = fmt.Sprintf("every server process started under `taskset -c %s` (a ZooKeeper JVM, our binary, all three members of an ensemble alike); the load generator pinned to CPU 0 (sched_setaffinity on each of its threads), so clients never steal the servers' CPU", l.serverCPU)
	}
	rep.Setup = []string{
		fmt.Sprintf("CPU: %s.", pinNote),
		fmt.Sprintf("Apache ZooKeeper 3.8.0 (Debian package), %s, fixed heap -Xms%dm -Xmx%dm, other JVM flags default (with one CPU visible the JVM picks SerialGC); zoo.cfg: tickTime=%d, maxClientCnxns=0, forceSync=yes, admin server off.",
			javaVersion(), cfg.heapMB, cfg.heapMB, cfg.tickMS),
		fmt.Sprintf("Ours: cmd/zkensemble-server from this tree with the same zoo.cfg keys (tickTime=%d, maxClientCnxns=0); a standalone server is a one-member Raft group, and every write is fsynced to its WAL before the reply (it has no fsync switch, so this run has fsync on for both and no fsync-off run).", cfg.tickMS),
		"Ensembles: three members on loopback, data directories on the same disk; clients spread round-robin over the members (reads served by the member a client talks to, writes forwarded to the leader).",
		fmt.Sprintf("Load: github.com/go-zookeeper/zk v1.0.4, one session per client, closed loop (each client waits for its reply), %d clients, %d-byte payloads, %v warm-up discarded, %v measured per phase; latencies from a log-linear histogram (≤1.6%% bucket error). Fan-out watchers, the expiry storm and the idle sessions are raw-handshake sessions (pkg/wire) so that thousands of them cost the load generator little; connections come from loopback sources 127.0.0.2-17; RLIMIT_NOFILE raised to %d for the harness and the servers it starts.",
			cfg.clients, cfg.payload, cfg.warmup, cfg.measure, nofile),
	}
	procsNote := "Our server's GOMAXPROCS: the Go runtime's default (one per CPU it may run on, so 1 when pinned to one CPU)."
	if *gomaxprocs > 0 {
		// Only Go programs read it: ZooKeeper's JVM ignores it, and the load
		// generator's own GOMAXPROCS was fixed when it started.
		if err := os.Setenv("GOMAXPROCS", strconv.Itoa(*gomaxprocs)); err != nil {
			return err
		}
		procsNote = fmt.Sprintf("Our server's GOMAXPROCS: set to %d (environment), whatever CPUs it is pinned to.", *gomaxprocs)
	}
	rep.Setup = append(rep.Setup, procsNote)
	add := func(r Result) { rep.Results = append(rep.Results, r) }
	if *interleave {
		rep.Setup = append(rep.Setup, "Order: every target is started first (the idle ones sit on the same CPU, quiet); then each phase runs on every target back to back, ours then ZooKeeper, standalone then ensemble, so that load from other processes on the machine falls on both sides of a comparison alike. The session-scale and znode-memory phases start fresh standalone servers, one after the other. \"other processes CPU %\" is the CPU every process outside the benchmark used during a phase (out of 200%).")
		runInterleaved(l, base, cfg, cfg.targets, add)
	} else {
		for _, spec := range cfg.targets {
			runTarget(l, base, cfg, spec, add)
		}
	}
	if cfg.failoverReps > 0 && cfg.wants(phaseFailover) {
		runFailover(l, base, cfg, add)
	}
	if len(cfg.scaleLevels) > 0 || cfg.znodes > 0 {
		rl := restartOptions(l, cfg.restartSnapCount)
		specs, err := parseTargets(*scaleTargets)
		if err != nil {
			return err
		}
		for _, spec := range specs {
			spec.Deployment, spec.Members = depStandalone, 1
			if len(cfg.scaleLevels) > 0 {
				sl := *l
				sl.opts.MaxSessionTimeout = 600000 // detached sessions of the scale phase live 300 s
				withTarget(&sl, base, spec, add, phaseSessions(cfg.scaleLevels[0]), func(r *running) error {
					return sessionScale(r, cfg, int(nofile)-2000, add)
				})
			}
			if cfg.znodes > 0 && cfg.wants(phaseZnodes) {
				withTarget(l, base, spec, add, phaseZnodes, func(r *running) error { return znodeMemory(r, cfg, add) })
			}
			if cfg.runsRestart() {
				withTarget(rl, base, spec, add, phaseSnapshot, func(r *running) error { return restartMember(r, cfg, add) })
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			rep.Machine["load at end"] = strings.Join(f[:3], " ")
		}
	}
	rep.evaluate(cfg.clients)
	rep.Duration = time.Since(began).Round(time.Second).String()
	if err := rep.write(*outMD, *outJSON); err != nil {
		return err
	}
	if *outMD == "" {
		fmt.Print(rep.Markdown())
	}
	return nil
}

// rerender reads a JSON report, evaluates the targets again and writes
// its Markdown (to stdout when mdPath is empty).
func rerender(jsonPath, mdPath string) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	if rep.Clients == 0 {
		rep.Clients = 64
	}
	rep.Checks = nil
	rep.evaluate(rep.Clients)
	if mdPath == "" {
		fmt.Print(rep.Markdown())
		return nil
	}
	return rep.write(mdPath, "")
}

// profile takes a CPU and an allocation profile (and a one-second
// execution trace) of our server while writes (setData over the pool of
// znodes, i.e. "mix 0% reads") and then reads ("mix 100% reads") run again;
// these runs are not part of the report.
func profile(wl *workload, cfg *config) error {
	if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return err
	}
	names := map[string]string{"mix 0% reads": "setData", "mix 100% reads": "getData"}
	for _, ph := range opPhases(cfg) {
		label, ok := names[ph.name]
		if !ok {
			continue
		}
		const secs = 5
		kinds := []string{"profile", "allocs", "trace"}
		errc := make(chan error, len(kinds))
		for _, kind := range kinds {
			go func(kind string) {
				time.Sleep(time.Second) // start after the load ramped up
				d := secs
				if kind == "trace" {
					d = 1
				}
				resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", wl.r.pprofAddr, kind, d))
				if err != nil {
					errc <- err
					return
				}
				defer resp.Body.Close()
				name := map[string]string{"profile": "cpu-%s.pprof", "allocs": "allocs-%s.pprof", "trace": "trace-%s.out"}[kind]
				f, err := os.Create(filepath.Join(cfg.profileDir, fmt.Sprintf(name, label)))
				if err != nil {
					errc <- err
					return
				}
				_, err = io.Copy(f, resp.Body)
				f.Close()
				errc <- err
			}(kind)
		}
		c := *cfg
		c.warmup, c.measure = time.Second, (secs+1)*time.Second
		wl.cfg = &c
		out := ph.run(wl)
		wl.cfg = cfg
		logf("profiled %s: %.0f ops/s under profiling (%d errors, first: %v)", label, out.rate(), out.errs, out.firstError)
		var errs []error
		for range kinds {
			errs = append(errs, <-errc)
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

// brief is a one-line summary of a result for the progress log.
func brief(r Result) string {
	var parts []string
	for i, m := range r.Metrics {
		if i >= 4 {
			break
		}
		parts = append(parts, m.Name+" "+fmtNum(m.Value))
	}
	return strings.Join(parts, ", ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
