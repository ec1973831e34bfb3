package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestKillAndRestartLosesNothing writes through the binary, kills it with
// SIGKILL, restarts it on the same dataDir: every acknowledged write is there,
// the zxid did not go backwards, and the session survives the restart.
func TestKillAndRestartLosesNothing(t *testing.T) {
	srv := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{TickTime: 2000})
	ctx := context.Background()
	c, err := zkclient.Connect(srv.Addr, 20*time.Second, zkclient.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		zkclient.WithReconnectJitter(50*time.Millisecond), zkclient.WithBackoff(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	const n = 200
	var lastZxid int64
	start := time.Now()
	for i := 0; i < n; i++ {
		_, st, err := c.Create(ctx, fmt.Sprintf("/k%03d", i), []byte(fmt.Sprint(i)), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		lastZxid = st.Czxid
	}
	t.Logf("%d creates acknowledged in %v", n, time.Since(start))
	sid := c.SessionID()
	start = time.Now()
	srv.Kill()
	srv.Restart()
	t.Logf("killed and restarted in %v", time.Since(start))
	for i := 0; i < n; i++ {
		data, _, err := c.Get(ctx, fmt.Sprintf("/k%03d", i))
		for errors.Is(err, wire.ErrConnectionLoss) {
			time.Sleep(50 * time.Millisecond) // the client is reconnecting
			data, _, err = c.Get(ctx, fmt.Sprintf("/k%03d", i))
		}
		if err != nil || string(data) != fmt.Sprint(i) {
			t.Fatalf("after restart /k%03d = %q, %v", i, data, err)
		}
	}
	t.Logf("all reads back after %v", time.Since(start))
	if c.SessionID() != sid {
		t.Fatalf("session changed across the restart: %x → %x", sid, c.SessionID())
	}
	_, st, err := c.Create(ctx, "/after", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
	if err != nil || st.Czxid <= lastZxid {
		t.Fatalf("zxid after restart %#x, last before %#x (%v)", st.Czxid, lastZxid, err)
	}
}
