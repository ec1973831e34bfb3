//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
	"github.com/zkensemble/zkensemble/pkg/zkclient/k8sdiscovery"
)

// fleet is many client sessions that write continuously, each to its own
// znode tree, and follow the published server list (rebalancing by
// ZooKeeper's rule).
type fleet struct {
	t       *testing.T
	conns   []*zkclient.Conn
	acked   []atomic.Int64 // per client: writes acknowledged (nodes 0..acked-1 exist)
	expired atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	opts    []zkclient.Option // the ensemble's client credentials (clientOptions)
	traces  []sessionTrace    // per client: its session events (fleettrace_test.go)
	slowest int               // the client waitAllWriting waited for last (-1: none)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// secureClients holds, per "namespace/name", the options clients of an
// ensemble that requires TLS and SASL connect with (secure_test.go).
var secureClients = map[string][]zkclient.Option{}

// clientOptions are the options to connect to ensemble ns/name with.
func clientOptions(ns, name string) []zkclient.Option {
	return append([]zkclient.Option{zkclient.WithLogger(quiet)}, secureClients[ns+"/"+name]...)
}

func startFleet(t *testing.T, ns, name string, n int) *fleet {
	t.Helper()
	connect := publishedList(t, ns, name)
	f := &fleet{t: t, acked: make([]atomic.Int64, n), stop: make(chan struct{}), opts: clientOptions(ns, name), traces: make([]sessionTrace, n), slowest: -1}
	for i := 0; i < n; i++ {
		c, err := zkclient.Connect(connect, 20*time.Second, f.opts...)
		if err != nil {
			t.Fatal(err)
		}
		f.conns = append(f.conns, c)
	}
	ctx := context.Background()
	root := "/fleet"
	if _, _, err := f.conns[0].Create(ctx, root, nil, 0, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
		t.Fatal(err)
	}
	for i, c := range f.conns {
		if _, _, err := c.Create(ctx, fmt.Sprintf("%s/c%03d", root, i), nil, 0, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
			t.Fatal(err)
		}
		f.wg.Add(2)
		go f.watchSession(i, c)
		go f.write(i, c)
	}
	fctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	follow := k8sdiscovery.Follow
	if secureClients[ns+"/"+name] != nil {
		follow = k8sdiscovery.FollowSecure // the secure client ports
	}
	go func() {
		_ = follow(fctx, k.cs, ns, name+"-servers", f, quiet)
	}()
	return f
}

func (f *fleet) watchSession(i int, c *zkclient.Conn) {
	defer f.wg.Done()
	for ev := range c.Events() {
		if ev.Type == zkclient.EventSession {
			f.traces[i].add(ev)
		}
		if ev.State == zkclient.StateExpired {
			f.expired.Add(1)
		}
	}
}

// write creates /fleet/cNNN/NNNNNNNN in order, a few per second; a write is
// counted only once acknowledged, and retried (under the same name) until it is.
func (f *fleet) write(i int, c *zkclient.Conn) {
	defer f.wg.Done()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for seq := int64(0); ; {
		select {
		case <-f.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _, err := c.Create(ctx, fmt.Sprintf("/fleet/c%03d/%08d", i, seq), []byte("x"), 0, zkclient.WorldACL(wire.PermAll))
		cancel()
		if err == nil || errors.Is(err, wire.ErrNodeExists) {
			seq++
			f.acked[i].Store(seq)
		}
	}
}

// UpdateServerList is called by k8sdiscovery with each published list:
// every client applies ZooKeeper's rebalancing rule to it.
func (f *fleet) UpdateServerList(connect string) error {
	for _, c := range f.conns {
		_ = c.UpdateServerList(connect)
	}
	return nil
}

// waitAllWriting waits until every client has had a write acknowledged
// since the call, and returns how long that took.
func (f *fleet) waitAllWriting(d time.Duration) time.Duration {
	f.t.Helper()
	start := time.Now()
	before := make([]int64, len(f.acked))
	for i := range f.acked {
		before[i] = f.acked[i].Load()
	}
	f.slowest = -1
	eventually(f.t, d, func() error {
		stalled, last := 0, -1
		for i := range f.acked {
			if f.acked[i].Load() == before[i] {
				stalled++
				last = i
			}
		}
		if stalled == 1 || f.slowest < 0 {
			f.slowest = last
		}
		if stalled > 0 {
			return fmt.Errorf("%d of %d clients have not written since", stalled, len(f.acked))
		}
		return nil
	})
	return time.Since(start)
}

// servers is where each client is connected now.
func (f *fleet) servers() []string {
	out := make([]string, len(f.conns))
	for i, c := range f.conns {
		out[i] = c.Server()
	}
	return out
}

// settledOn is where each client is connected once every client has had the
// server list final and is on one of its servers (a client that is moving is
// on none), or an error saying what is not settled yet.
func (f *fleet) settledOn(final string) ([]string, error) {
	want := strings.Split(final, ",")
	slices.Sort(want)
	for i, c := range f.conns {
		if have := slices.Sorted(slices.Values(c.Servers())); !slices.Equal(have, want) {
			return nil, fmt.Errorf("client %d has the list %v, not yet the final one", i, have)
		}
	}
	on := f.servers()
	for i, s := range on {
		if !slices.Contains(want, s) {
			return nil, fmt.Errorf("client %d is on %q", i, s)
		}
	}
	return on, nil
}

// finish stops writing and checks that every acknowledged write is there,
// read back by a fresh session after a sync, and that no session expired.
func (f *fleet) finish(connect string) (writes int64) {
	f.t.Helper()
	close(f.stop)
	f.cancel()
	for _, c := range f.conns {
		c.Close()
	}
	f.wg.Wait()
	check, err := zkclient.Connect(connect, 20*time.Second, f.opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	defer check.Close()
	// The writers' members may be ahead of the one check is on.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := check.Sync(ctx, "/fleet"); err != nil {
		f.t.Fatal(err)
	}
	for i := range f.conns {
		n := f.acked[i].Load()
		writes += n
		kids, _, err := check.Children(ctx, fmt.Sprintf("/fleet/c%03d", i))
		if err != nil {
			f.t.Fatal(err)
		}
		have := map[string]bool{}
		for _, k := range kids {
			have[k] = true
		}
		for s := int64(0); s < n; s++ {
			if !have[fmt.Sprintf("%08d", s)] {
				f.t.Errorf("client %d: acknowledged write %08d lost", i, s)
			}
		}
	}
	if e := f.expired.Load(); e > 0 {
		f.t.Errorf("%d sessions expired", e)
	}
	return writes
}
