package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestDataLogDir: with dataLogDir the WAL is written there (ZooKeeper's
// transaction log directory) and the snapshots stay in dataDir; a restart
// recovers every acknowledged write from the two; losing the log directory
// (its volume) makes the member refuse to start rather than come back from
// snapshots without the log that follows them.
func TestDataLogDir(t *testing.T) {
	logDir := filepath.Join(t.TempDir(), "txnlog")
	// A snapshot every 20 entries, so that dataDir holds snapshots.
	s := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{Extra: map[string]string{"dataLogDir": logDir, "snapCount": "20"}})
	c := dial(t, s.Addr, 10*time.Second)
	ctx := context.Background()
	for i := range 50 {
		if _, _, err := c.Create(ctx, fmt.Sprintf("/log-%02d", i), []byte("x"), zkclient.Persistent, zkclient.WorldACL(wire.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	wals, _ := filepath.Glob(filepath.Join(logDir, "version-2", "wal", "*.wal"))
	if len(wals) == 0 {
		t.Fatalf("no WAL in %s", logDir)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "version-2", "wal")); !os.IsNotExist(err) {
		t.Fatalf("a WAL in dataDir too (%v)", err)
	}
	snaps, _ := filepath.Glob(filepath.Join(s.DataDir, "version-2", "snap", "*.snap"))
	if len(snaps) == 0 {
		t.Fatalf("no snapshot in %s", s.DataDir)
	}
	c.Close()
	s.Kill()
	s.Restart()
	c = dial(t, s.Addr, 10*time.Second)
	kids, _, err := c.Children(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(kids, " "), "log-"); n != 50 {
		t.Fatalf("%d of 50 znodes after the restart", n)
	}
	c.Close()

	// The log volume lost: refused, with what to do.
	s.Kill()
	if err := os.RemoveAll(logDir); err != nil {
		t.Fatal(err)
	}
	s.StartAgain()
	deadline := time.Now().Add(20 * time.Second)
	for !s.Exited() {
		if time.Now().After(deadline) {
			t.Fatal("started without its log")
		}
		time.Sleep(50 * time.Millisecond) // poll interval until the deadline
	}
	if !strings.Contains(s.Log(), "do not belong together") || !strings.Contains(s.Log(), "the log that follows them is lost") {
		t.Fatalf("exit without the reason:\n%s", s.Log())
	}
}

// TestLongSessionBound: a zoo.cfg whose maxSessionTimeout is 30 ticks (as
// HBase and Kafka set) is served, and a client asking for it gets it.
func TestLongSessionBound(t *testing.T) {
	s := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{TickTime: 2000, MaxSessionTimeout: 60000})
	c := dial(t, s.Addr, 60*time.Second)
	if _, err := c.Exists(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	if got := c.SessionTimeout(); got != 60*time.Second {
		t.Fatalf("negotiated %s; want 60s", got)
	}
}
