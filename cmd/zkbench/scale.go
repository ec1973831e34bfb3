package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

const phaseZnodes = "1M small znodes"

func phaseSessions(n int) string { return fmt.Sprintf("%dk sessions", n/1000) }

const mib = 1 << 20

// liveHeap returns the server's heap in use right after a full collection:
// HeapAlloc from our pprof endpoint (gc=1), or the used generations that
// `jcmd GC.heap_info` lists after `jcmd GC.run` for ZooKeeper's JVM.
func liveHeap(r *running) (int64, error) {
	if r.spec.System == sysOurs {
		if r.pprofAddr == "" {
			return 0, fmt.Errorf("no pprof endpoint")
		}
		resp, err := http.Get("http://" + r.pprofAddr + "/debug/pprof/heap?debug=1&gc=1")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		m := regexp.MustCompile(`# HeapAlloc = (\d+)`).FindSubmatch(b)
		if m == nil {
			return 0, fmt.Errorf("no HeapAlloc in the heap profile")
		}
		return strconv.ParseInt(string(m[1]), 10, 64)
	}
	pid := strconv.Itoa(r.servers[0].Pid())
	if out, err := exec.Command("jcmd", pid, "GC.run").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("jcmd GC.run: %w: %s", err, out)
	}
	out, err := exec.Command("jcmd", pid, "GC.heap_info").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("jcmd GC.heap_info: %w: %s", err, out)
	}
	var sum int64
	for _, m := range regexp.MustCompile(`(?m)(?:generation|heap)\s+total \d+K, used (\d+)K`).FindAllSubmatch(out, -1) {
		k, _ := strconv.ParseInt(string(m[1]), 10, 64)
		sum += k * 1024
	}
	if sum == 0 {
		return 0, fmt.Errorf("no heap figures in %q", out)
	}
	return sum, nil
}

func memMetrics(r *running, idle int64, per int, perName string) []Metric {
	pid := r.servers[0].Pid()
	rss, _ := procRSS(pid)
	ms := []Metric{
		{Name: "RSS MiB", Value: float64(rss) / mib, Better: lower},
		{Name: "RSS of the idle server MiB", Value: float64(idle) / mib},
		{Name: perName, Value: float64(rss-idle) / float64(per), Better: lower},
	}
	if h, err := liveHeap(r); err == nil {
		ms = append(ms, Metric{Name: "live heap after GC MiB", Value: float64(h) / mib, Better: lower})
	} else {
		logf("live heap of %s: %v", r.spec.Key, err)
	}
	return ms
}

// sessionScale opens idle raw sessions in steps (cfg.scaleLevels) on a
// fresh standalone server; at each step, after one full ping round, it
// records the server's resident memory and its CPU share over a window
// while the sessions ping (timeout 30 s, a ping every 10 s each, as a
// client does at a third of its timeout).
//
// A connected session costs a file descriptor on both ends, so the number
// of connected sessions is capped by RLIMIT_NOFILE (fdCap). Levels above it
// are reached with sessions that are opened and then disconnected without
// closeSession: the server keeps them (and their state) until their 300 s
// timeout, which is the memory of the session itself without its socket.
func sessionScale(r *running, cfg *config, fdCap int, add func(Result)) error {
	pid := r.servers[0].Pid()
	idle, err := procRSS(pid)
	if err != nil {
		return err
	}
	const timeout, detachedTimeout = 30 * time.Second, 300 * time.Second
	p := startPinger(timeout / 3)
	defer p.close()
	var connected []*rawSession
	detached := 0
	defer func() {
		for _, s := range connected {
			s.drop()
		}
	}()
	for _, level := range cfg.scaleLevels {
		res := Result{Phase: phaseSessions(level), Deployment: depStandalone, System: r.spec.System}
		t0 := time.Now()
		opened := 0
		if level <= fdCap && detached == 0 {
			more, err := openRaw(r.addrs, level-len(connected), 256, timeout, p, nil)
			if err != nil {
				res.Error = err.Error()
				add(res)
				return err
			}
			connected = append(connected, more...)
			opened = len(more)
		} else {
			n := level - len(connected) - detached
			if err := forEach(n, 256, func(int) error {
				s, err := rawConnect(r.addrs[0], detachedTimeout, nil)
				if err != nil {
					return err
				}
				s.drop()
				return nil
			}); err != nil {
				res.Error = err.Error()
				add(res)
				return err
			}
			detached += n
			opened = n
		}
		took := time.Since(t0)
		if detached == 0 {
			res.Title = fmt.Sprintf("%d idle sessions on one server, all connected (raw handshakes from 16 loopback source addresses; timeout %v, each pings every %v): resident memory (VmRSS; for ZooKeeper the java process) and server CPU while they ping",
				level, timeout, timeout/3)
		} else {
			res.Title = fmt.Sprintf("%d sessions on one server: %d connected and pinging (timeout %v), %d opened and then disconnected without closeSession (timeout %v, so the server keeps them): resident memory (VmRSS; for ZooKeeper the java process) and server CPU. More connected sessions do not fit: RLIMIT_NOFILE is capped at %d here (no CAP_SYS_RESOURCE), for the server as for the load generator",
				level, len(connected), timeout, detached, detachedTimeout, fdCap+2000)
		}
		time.Sleep(cfg.scaleSettle) // one ping round, so every session has pinged
		m := startCPU([]int{pid})
		sent0 := p.sent.Load()
		w0 := time.Now()
		time.Sleep(cfg.scaleWindow) // the measuring window
		cpu, _, other := m.stop()
		pings := float64(p.sent.Load()-sent0) / time.Since(w0).Seconds()
		res.Metrics = append(memMetrics(r, idle, level, "KiB per session"),
			Metric{Name: "connected sessions", Value: float64(len(connected))},
			Metric{Name: "server CPU %", Value: cpu, Better: lower},
			Metric{Name: "pings/s", Value: pings},
			Metric{Name: "sessions opened/s", Value: float64(opened) / took.Seconds(), Better: higher},
			Metric{Name: "other processes CPU %", Value: other},
		)
		for i := range res.Metrics {
			if res.Metrics[i].Name == "KiB per session" {
				res.Metrics[i].Value /= 1024
			}
		}
		add(res)
		logf("%s %s: %s", r.spec.Key, res.Phase, brief(res))
	}
	return nil
}
