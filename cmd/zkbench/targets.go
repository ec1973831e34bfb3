package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// benchT implements refzk.T for a plain program: cleanups run when the
// target is stopped, temporary directories live under one run directory,
// and Fatalf aborts the target (recovered by runTarget) instead of the run.
type benchT struct {
	base     string
	mu       sync.Mutex
	cleanups []func()
	n        atomic.Int64
	verbose  bool
}

type targetFailure struct{ msg string }

func (t *benchT) Helper()          {}
func (t *benchT) Cleanup(f func()) { t.mu.Lock(); t.cleanups = append(t.cleanups, f); t.mu.Unlock() }
func (t *benchT) TempDir() string {
	d := filepath.Join(t.base, fmt.Sprintf("d%03d", t.n.Add(1)))
	if err := os.MkdirAll(d, 0o755); err != nil {
		panic(targetFailure{err.Error()})
	}
	return d
}
func (t *benchT) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !t.verbose && len(msg) > 4000 {
		msg = msg[:2000] + "\n[...]\n" + msg[len(msg)-2000:]
	}
	log.Print(msg)
}
func (t *benchT) Fatalf(format string, args ...any) {
	panic(targetFailure{fmt.Sprintf(format, args...)})
}

// runCleanups stops every process started through t, newest first.
func (t *benchT) runCleanups() {
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// Target kinds.
const (
	sysOurs       = "ours"
	sysZK         = "zookeeper"
	depStandalone = "standalone"
	depEnsemble   = "3-member ensemble"
	// depEnsembleTLS is our ensemble as the operator runs it: mutual TLS
	// between members (ZooKeeper's ensemble and depEnsemble run without).
	depEnsembleTLS = "3-member ensemble, member TLS"
)

// targetSpec names one system in one deployment.
type targetSpec struct {
	Key        string // ours-standalone, zk-standalone, ours-ensemble, zk-ensemble, ours-ensemble-tls
	System     string
	Deployment string
	Members    int
	MemberTLS  bool // ours: mutual TLS between members
	ClientTLS  bool // clients use the secure client port (clienttls.go)
}

var allTargets = []targetSpec{
	{"ours-standalone", sysOurs, depStandalone, 1, false, false},
	{"zk-standalone", sysZK, depStandalone, 1, false, false},
	{"ours-ensemble", sysOurs, depEnsemble, 3, false, false},
	{"zk-ensemble", sysZK, depEnsemble, 3, false, false},
	{"ours-ensemble-tls", sysOurs, depEnsembleTLS, 3, true, false},
	{"ours-standalone-clienttls", sysOurs, depStandaloneClientTLS, 1, false, true},
	{"zk-standalone-clienttls", sysZK, depStandaloneClientTLS, 1, false, true},
}

// runs says whether the target runs a phase: every phase, or -phases,
// except that the client-TLS targets run only clientTLSPhases (and their
// warm-up) unless -phases names others.
func (t targetSpec) runs(cfg *config, phase string) bool {
	if phase != phaseWarm && !cfg.wants(phase) {
		return false
	}
	return !t.ClientTLS || len(cfg.only) > 0 || slices.Contains(clientTLSPhases, phase) || phase == phaseWarm
}

func parseTargets(s string) ([]targetSpec, error) {
	var out []targetSpec
	if s == "none" {
		return nil, nil
	}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		found := false
		for _, t := range allTargets {
			if t.Key == k {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown target %q (want %s)", k, "ours-standalone, zk-standalone, ours-ensemble, zk-ensemble, ours-ensemble-tls, ours-standalone-clienttls, zk-standalone-clienttls")
		}
	}
	return out, nil
}

// running is a started target.
type running struct {
	spec      targetSpec
	servers   []*refzk.Server
	addrs     []string
	pprofAddr string // ours standalone only
}

func (r *running) pids() []int {
	var out []int
	for _, s := range r.servers {
		out = append(out, s.Pid())
	}
	return out
}

// launch holds what every target is started with.
type launch struct {
	bin       string
	opts      refzk.Options
	serverCPU string // taskset CPU list for the servers, "" for none
}

func (l *launch) options() refzk.Options {
	o := l.opts
	if l.serverCPU != "" {
		o.Prefix = []string{"taskset", "-c", l.serverCPU}
	}
	return o
}

func (l *launch) start(t *benchT, spec targetSpec) *running {
	o := l.options()
	if spec.ClientTLS {
		o = withClientTLS(t, o)
	}
	r := &running{spec: spec}
	switch {
	case spec.System == sysOurs && spec.Members == 1:
		pp := refzk.FreePort(t)
		r.pprofAddr = fmt.Sprintf("127.0.0.1:%d", pp)
		o.Args = append(append([]string(nil), o.Args...), "--pprof", r.pprofAddr)
		r.servers = []*refzk.Server{refzk.StartOurs(t, l.bin, o)}
	case spec.System == sysOurs:
		o.InsecureQuorum = !spec.MemberTLS
		r.servers = refzk.StartOursEnsemble(t, l.bin, spec.Members, o).Servers
	case spec.Members == 1:
		r.servers = []*refzk.Server{refzk.StartStandalone(t, o)}
	default:
		r.servers = refzk.StartEnsemble(t, spec.Members, o).Servers
	}
	for _, s := range r.servers {
		if spec.ClientTLS {
			r.addrs = append(r.addrs, tlsPrefix+s.SecureAddr)
		} else {
			r.addrs = append(r.addrs, s.Addr)
		}
	}
	// Both kinds answer srvr before they accept sessions everywhere (a
	// ZooKeeper quorum, our Raft leader); wait until a write goes through
	// every member.
	deadline := time.Now().Add(60 * time.Second)
	for i, a := range r.addrs {
		for {
			c, err := zkConnect(a, 10*time.Second)
			if err == nil {
				_, err = c.Create(fmt.Sprintf("/ready-%d", i), nil, 0, zk.WorldACL(zk.PermAll))
				c.Close()
				if err == nil || errors.Is(err, zk.ErrNodeExists) {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s member %s does not take writes: %v", spec.Key, a, err)
			}
			time.Sleep(100 * time.Millisecond) // poll while the quorum settles
		}
	}
	return r
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// zkConnect opens a go-zookeeper session to one server and waits until it
// has a session. Buffers are capped at 1 MB (receive) and 64 KB (send), the
// Java client's limits, instead of go-zookeeper's 1.5 MB each.
func zkConnect(addr string, timeout time.Duration) (*zk.Conn, error) {
	has := make(chan struct{})
	var once sync.Once
	dialer := zkDial
	if hostport, secure := strings.CutPrefix(addr, tlsPrefix); secure {
		// go-zookeeper resolves the address itself: give it the host and port.
		addr = hostport
		dialer = func(_, a string, timeout time.Duration) (net.Conn, error) { return dialTarget(tlsPrefix+a, timeout) }
	}
	c, _, err := zk.Connect([]string{addr}, timeout,
		zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithDialer(dialer),
		zk.WithMaxBufferSize(1<<20), zk.WithMaxConnBufferSize(64<<10),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.State == zk.StateHasSession {
				once.Do(func() { close(has) })
			}
		}))
	if err != nil {
		return nil, err
	}
	select {
	case <-has:
		return c, nil
	case <-time.After(15 * time.Second):
		c.Close()
		return nil, fmt.Errorf("no session with %s within 15s", addr)
	}
}
