package compat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// The real clients of the ensemble differential tests: kazoo in a Python
// process (kazoo_session.py) and go-zookeeper, each recording the session
// states it went through.

const kazooPackage = "/usr/lib/python3/dist-packages/kazoo"

// kazooSession is one kazoo session; its state changes and its answers
// arrive as lines.
type kazooSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	states []string
	result chan string
}

func startKazoo(t *testing.T, hosts string, timeout time.Duration, readOnly bool) *kazooSession {
	t.Helper()
	if _, err := os.Stat(kazooPackage); err != nil {
		t.Fatalf("kazoo is not installed (run hack/install-deps.sh): %v", err)
	}
	args := []string{"kazoo_session.py", hosts, fmt.Sprint(timeout.Seconds())}
	if readOnly {
		args = append(args, "ro")
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &kazooSession{t: t, cmd: exec.CommandContext(ctx, "/usr/bin/python3", args...), result: make(chan string, 16)}
	k.cmd.Stderr = io.Discard
	stdout, err := k.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if k.stdin, err = k.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = k.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if state, ok := strings.CutPrefix(line, "STATE "); ok {
				k.mu.Lock()
				if n := len(k.states); n == 0 || k.states[n-1] != state {
					k.states = append(k.states, state)
				}
				k.mu.Unlock()
				continue
			}
			k.result <- line
		}
		close(k.result)
	}()
	return k
}

// do runs one command and returns its result line.
func (k *kazooSession) do(command string) string {
	if _, err := io.WriteString(k.stdin, command+"\n"); err != nil {
		return "exited"
	}
	select {
	case r, ok := <-k.result:
		if !ok {
			return "exited"
		}
		return r
	case <-time.After(60 * time.Second):
		return "no answer"
	}
}

// statesSince returns the states recorded from index i on, and the next index.
func (k *kazooSession) statesSince(i int) ([]string, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.states[i:]...), len(k.states)
}

// goZK is a go-zookeeper session with its states.
type goZK struct {
	c      *zk.Conn
	mu     sync.Mutex
	states []zk.State
	sid    int64 // at the first HasSession
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func startGoZK(t *testing.T, servers []string, timeout time.Duration) *goZK {
	t.Helper()
	c, ev, err := zk.Connect(servers, timeout, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	g := &goZK{c: c}
	t.Cleanup(c.Close)
	go func() {
		for e := range ev {
			if e.Type != zk.EventSession {
				continue
			}
			g.mu.Lock()
			g.states = append(g.states, e.State)
			if e.State == zk.StateHasSession && g.sid == 0 {
				g.sid = c.SessionID()
			}
			g.mu.Unlock()
		}
	}()
	if !g.awaitSession(30*time.Second, 0) {
		t.Fatal("go-zookeeper: no session")
	}
	return g
}

// awaitSession waits until the session is established again, after the
// states seen so far (from index i).
func (g *goZK) awaitSession(d time.Duration, from int) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		for _, s := range g.states[min(from, len(g.states)):] {
			if s == zk.StateHasSession {
				g.mu.Unlock()
				return true
			}
			if s == zk.StateExpired {
				g.mu.Unlock()
				return false
			}
		}
		g.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // poll interval for the event goroutine
	}
	return false
}

func (g *goZK) mark() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.states)
}

// kinds is the set of distinct states seen from index i on, in first-seen
// order: how many refused attempts a client makes depends on timing, which
// states it goes through does not.
func (g *goZK) kinds(from int) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var seen []string
	for _, s := range g.states[min(from, len(g.states)):] {
		if name := s.String(); !contains(seen, name) {
			seen = append(seen, name)
		}
	}
	return strings.Join(seen, ",")
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// goZKError names an error of go-zookeeper as its outcome.
func goZKError(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, zk.ErrNoServer):
		return "no server"
	case errors.Is(err, zk.ErrConnectionClosed):
		return "connection closed"
	case errors.Is(err, zk.ErrSessionExpired):
		return "session expired"
	case errors.Is(err, zk.ErrNodeExists):
		return "node exists"
	}
	return err.Error()
}

// close ends the kazoo session (the script stops at the end of its input).
func (k *kazooSession) close() {
	_ = k.stdin.Close()
	_ = k.cmd.Wait()
}
