package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

func startServer(t *testing.T) string {
	t.Helper()
	cfg := sessionserver.DefaultConfig()
	cfg.ClientPort, cfg.ClientPortAddress, cfg.AdminPort = 0, "127.0.0.1", -1
	s, err := sessionserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

func TestCommands(t *testing.T) {
	addr := startServer(t)
	for _, tc := range []struct {
		args []string
		code int
		out  string // a prefix of stdout, or of stderr when code != 0
	}{
		{[]string{"create", "/a", "one"}, 0, "/a\n"},
		{[]string{"create", "-s", "/a/s-", "x"}, 0, "/a/s-0000000000\n"},
		{[]string{"get", "/a"}, 0, "one\n"},
		{[]string{"set", "/a", "two"}, 0, "version=1 "},
		{[]string{"get", "/a"}, 0, "two\n"},
		{[]string{"stat", "/a"}, 0, "czxid=0x"},
		{[]string{"ls", "/a"}, 0, "s-0000000000\n"},
		{[]string{"sync", "/a"}, 0, ""},
		{[]string{"delete", "/a/s-0000000000"}, 0, ""},
		{[]string{"get", "/missing"}, 1, "zkcli get: "},
		{[]string{"create", "/a", "again"}, 1, "zkcli create: "},
		{[]string{"set", "/a"}, 2, "zkcli set: wants PATH DATA"},
		{[]string{"frobnicate"}, 2, "zkcli: unknown command"},
		{[]string{"whereami"}, 0, "session 0x"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-server", addr}, tc.args...), &stdout, &stderr)
		got := stdout.String()
		if code != 0 {
			got = stderr.String()
		}
		if code != tc.code || !strings.HasPrefix(got, tc.out) {
			t.Errorf("zkcli %v: exit %d %q (stderr %q), want exit %d and %q...", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}

// lineWriter hands each line written to a channel.
type lineWriter struct {
	mu sync.Mutex
	w  *io.PipeWriter
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestWatchSeesAnotherSessionsChange(t *testing.T) {
	addr := startServer(t)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run([]string{"-server", addr, "watch", "-for", "20s", "/w"}, &lineWriter{w: pw}, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() || lines.Text() != "watching /w" {
		t.Fatalf("first line %q, stderr %q", lines.Text(), stderr.String())
	}
	if code := run([]string{"-server", addr, "create", "/w", "x"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("create: exit %d", code)
	}
	if !lines.Scan() || lines.Text() != "event NodeCreated /w" {
		t.Fatalf("event line %q", lines.Text())
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("watch exit %d: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not return after its event")
	}
}
