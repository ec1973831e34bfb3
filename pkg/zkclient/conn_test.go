package zkclient

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// targets are the servers every integration test runs against: ours
// in-process and Apache ZooKeeper 3.8.
func targets(t *testing.T, tick int) map[string]string {
	t.Helper()
	cfg := sessionserver.DefaultConfig()
	cfg.TickTime = int32(tick)
	cfg.ClientPort, cfg.ClientPortAddress, cfg.AdminPort = 0, "127.0.0.1", -1
	cfg.ExtendedTypes = true
	cfg.FourLetterAll = true
	s, err := sessionserver.New(cfg, sessionserver.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out := map[string]string{"zkensemble": s.Addr()}
	if err := refzk.Available(); err != nil {
		t.Logf("ZooKeeper not available, testing our server only: %v", err)
		return out
	}
	out["zookeeper"] = refzk.StartStandalone(t, refzk.Options{TickTime: tick, ExtendedTypes: true}).Addr
	return out
}

func connect(t *testing.T, connectString string, timeout time.Duration) *Conn {
	t.Helper()
	c, err := Connect(connectString, timeout, WithLogger(quiet), WithReconnectJitter(50*time.Millisecond), WithBackoff(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	waitState(t, c, StateConnected)
	return c
}

func waitState(t *testing.T, c *Conn, want State) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", want)
			}
			if ev.Type == EventSession && ev.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %v (state %v)", want, c.State())
		}
	}
}

func waitEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(15 * time.Second):
		t.Fatal("timed out waiting for a watch event")
		return Event{}
	}
}

func TestAPI(t *testing.T) {
	for name, addr := range targets(t, 2000) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			base := "/api-" + name
			c := connect(t, addr, 10*time.Second)
			acl := WorldACL(wire.PermAll)
			p, st, err := c.Create(ctx, base, []byte("v"), Persistent, acl)
			if err != nil || p != base || st.Version != 0 {
				t.Fatalf("create: %q %+v %v", p, st, err)
			}
			if p, _, err := c.Create(ctx, base+"/s-", nil, PersistentSequential, acl); err != nil || p != base+"/s-0000000000" {
				t.Fatalf("sequential: %q %v", p, err)
			}
			if _, _, err := c.Create(ctx, base+"/e", nil, Ephemeral, acl); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Create(ctx, base+"/box", nil, Container, acl); err != nil {
				t.Fatalf("container: %v", err)
			}
			if _, _, err := c.Create(ctx, base+"/ttl", nil, PersistentWithTTL, acl, CreateOptions{TTL: time.Hour}); err != nil {
				t.Fatalf("ttl: %v", err)
			}
			if _, _, err := c.Create(ctx, base, nil, Persistent, acl); !errors.Is(err, wire.ErrNodeExists) {
				t.Fatalf("duplicate: %v", err)
			}
			data, _, err := c.Get(ctx, base)
			if err != nil || string(data) != "v" {
				t.Fatalf("get: %q %v", data, err)
			}
			if _, err := c.Set(ctx, base, []byte("w"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Set(ctx, base, []byte("x"), 0); !errors.Is(err, wire.ErrBadVersion) {
				t.Fatalf("stale set: %v", err)
			}
			children, _, err := c.Children(ctx, base)
			sort.Strings(children)
			if err != nil || !slices.Equal(children, []string{"box", "e", "s-0000000000", "ttl"}) {
				t.Fatalf("children: %v %v", children, err)
			}
			if n, err := c.AllChildrenNumber(ctx, base); err != nil || n != 4 {
				t.Fatalf("all children: %d %v", n, err)
			}
			if eph, err := c.Ephemerals(ctx, base); err != nil || !slices.Equal(eph, []string{base + "/e"}) {
				t.Fatalf("ephemerals: %v %v", eph, err)
			}
			if st, err := c.Exists(ctx, base+"/nothere"); err != nil || st != nil {
				t.Fatalf("exists missing: %v %v", st, err)
			}
			res, err := c.Multi(ctx, CreateOp(base+"/m", nil, Persistent, acl), SetOp(base+"/m", []byte("d"), 0), CheckOp(base+"/m", 1))
			if err != nil || res[0].Path != base+"/m" || res[1].Stat.Version != 1 {
				t.Fatalf("multi: %+v %v", res, err)
			}
			res, err = c.Multi(ctx, CreateOp(base+"/m2", nil, Persistent, acl), DeleteOp(base+"/none", -1))
			if !errors.Is(err, wire.ErrNoNode) || !errors.Is(res[1].Err, wire.ErrNoNode) {
				t.Fatalf("failed multi: %+v %v", res, err)
			}
			rr, err := c.MultiRead(ctx, GetDataOp(base+"/m"), GetChildrenOp(base), GetDataOp(base+"/none"))
			if err != nil || string(rr[0].Data) != "d" || len(rr[1].Children) != 5 || !errors.Is(rr[2].Err, wire.ErrNoNode) {
				t.Fatalf("multiRead: %+v %v", rr, err)
			}
			if err := c.Sync(ctx, base); err != nil {
				t.Fatal(err)
			}
			// Digest auth and ACLs, as another session sees them.
			if err := c.AddAuth(ctx, "digest", []byte("ann:pw")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Create(ctx, base+"/secret", []byte("s"), Persistent, AuthACL(wire.PermAll)); err != nil {
				t.Fatal(err)
			}
			who, err := c.WhoAmI(ctx)
			if err != nil || !slices.Contains(who, wire.ClientInfo{AuthScheme: "digest", User: "ann"}) {
				t.Fatalf("whoAmI: %+v %v", who, err)
			}
			other := connect(t, addr, 10*time.Second)
			if _, _, err := other.Get(ctx, base+"/secret"); !errors.Is(err, wire.ErrNoAuth) {
				t.Fatalf("unauthenticated read: %v", err)
			}
			// One-shot and persistent watches.
			_, _, dw, err := c.GetW(ctx, base+"/m")
			if err != nil {
				t.Fatal(err)
			}
			pw, err := c.AddWatch(ctx, base, true)
			if err != nil {
				t.Fatal(err)
			}
			other.Set(ctx, base+"/m", []byte("e"), -1)
			if ev := waitEvent(t, dw); ev.Type != wire.EventNodeDataChanged || ev.Path != base+"/m" {
				t.Fatalf("data watch: %+v", ev)
			}
			if ev := waitEvent(t, pw.Events()); ev.Type != wire.EventNodeDataChanged || ev.Path != base+"/m" {
				t.Fatalf("recursive watch: %+v", ev)
			}
			other.Delete(ctx, base+"/m", -1)
			if ev := waitEvent(t, pw.Events()); ev.Type != wire.EventNodeDeleted {
				t.Fatalf("recursive watch: %+v", ev)
			}
			if err := c.CheckWatches(ctx, base, wire.WatcherAny); err != nil {
				t.Fatalf("checkWatches: %v", err)
			}
			if err := c.RemoveWatches(ctx, base, wire.WatcherAny); err != nil {
				t.Fatalf("removeWatches: %v", err)
			}
			if _, _, err := c.Reconfig(ctx, nil, []string{"2"}, nil, -1); !errors.Is(err, wire.ErrReconfigDisabled) {
				t.Fatalf("reconfig: %v", err)
			}
		})
	}
}

func TestChroot(t *testing.T) {
	for name, addr := range targets(t, 2000) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			root := connect(t, addr, 10*time.Second)
			if _, _, err := root.Create(ctx, "/app-"+name, nil, Persistent, WorldACL(wire.PermAll)); err != nil {
				t.Fatal(err)
			}
			c := connect(t, addr+"/app-"+name, 10*time.Second)
			p, _, err := c.Create(ctx, "/x", []byte("1"), PersistentSequential, WorldACL(wire.PermAll))
			if err != nil || p != "/x0000000000" {
				t.Fatalf("create under chroot: %q %v", p, err)
			}
			if _, _, err := root.Get(ctx, "/app-"+name+"/x0000000000"); err != nil {
				t.Fatalf("not under the chroot on the server: %v", err)
			}
			_, _, w, err := c.ChildrenW(ctx, "/")
			if err != nil {
				t.Fatal(err)
			}
			root.Create(ctx, "/app-"+name+"/y", nil, Persistent, WorldACL(wire.PermAll))
			if ev := waitEvent(t, w); ev.Path != "/" || ev.Type != wire.EventNodeChildrenChanged {
				t.Fatalf("event path not relative to the chroot: %+v", ev)
			}
			res, err := c.Multi(ctx, CreateOp("/z", nil, Persistent, WorldACL(wire.PermAll)))
			if err != nil || res[0].Path != "/z" {
				t.Fatalf("multi under chroot: %+v %v", res, err)
			}
		})
	}
}

// TestReconnectRestoresWatches cuts the TCP connection under the client: it
// reattaches its session, replays auth, and the watch it had fires for a
// change made while it was away.
func TestReconnectRestoresWatches(t *testing.T) {
	for name, addr := range targets(t, 2000) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			px := newProxy(t, addr)
			c := connect(t, px.addr(), 6*time.Second)
			other := connect(t, addr, 10*time.Second)
			base := "/restore-" + name
			c.Create(ctx, base, []byte("1"), Persistent, WorldACL(wire.PermAll))
			if err := c.AddAuth(ctx, "digest", []byte("u:p")); err != nil {
				t.Fatal(err)
			}
			_, _, w, err := c.GetW(ctx, base)
			if err != nil {
				t.Fatal(err)
			}
			pw, err := c.AddWatch(ctx, base, false)
			if err != nil {
				t.Fatal(err)
			}
			sid := c.SessionID()
			px.setRefuse(true)
			px.cut()
			waitState(t, c, StateDisconnected)
			other.Set(ctx, base, []byte("2"), -1)
			px.setRefuse(false)
			waitState(t, c, StateConnected)
			if c.SessionID() != sid {
				t.Fatalf("session changed: %x → %x", sid, c.SessionID())
			}
			if ev := waitEvent(t, w); ev.Type != wire.EventNodeDataChanged {
				t.Fatalf("restored one-shot watch: %+v", ev)
			}
			other.Set(ctx, base, []byte("3"), -1)
			if ev := waitEvent(t, pw.Events()); ev.Type != wire.EventNodeDataChanged {
				t.Fatalf("restored persistent watch: %+v", ev)
			}
			who, err := c.WhoAmI(ctx)
			if err != nil || !slices.Contains(who, wire.ClientInfo{AuthScheme: "digest", User: "u"}) {
				t.Fatalf("auth not replayed: %+v %v", who, err)
			}
		})
	}
}

// TestExpiryIsReported keeps the client away longer than its session
// timeout: it is told Expired, its requests fail, and no new session appears.
func TestExpiryIsReported(t *testing.T) {
	for name, addr := range targets(t, 200) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			px := newProxy(t, addr)
			c := connect(t, px.addr(), 400*time.Millisecond)
			if c.SessionTimeout() != 400*time.Millisecond {
				t.Fatalf("negotiated %v", c.SessionTimeout())
			}
			c.Create(ctx, "/exp-"+name, nil, Ephemeral, WorldACL(wire.PermAll))
			_, w, _ := c.ExistsW(ctx, "/exp-"+name)
			px.setRefuse(true)
			px.cut()
			waitState(t, c, StateDisconnected)
			other := connect(t, addr, 10*time.Second)
			deadline := time.Now().Add(10 * time.Second)
			for {
				st, err := other.Exists(ctx, "/exp-"+name)
				if err != nil {
					t.Fatal(err)
				}
				if st == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the session's ephemeral outlived its timeout")
				}
				time.Sleep(50 * time.Millisecond) // poll interval
			}
			px.setRefuse(false)
			waitState(t, c, StateExpired)
			if _, _, err := c.Get(ctx, "/"); !errors.Is(err, ErrSessionExpired) {
				t.Fatalf("request after expiry: %v", err)
			}
			if ev := waitEvent(t, w); ev.State != StateExpired {
				t.Fatalf("watch not ended by expiry: %+v", ev)
			}
			if c.State() != StateExpired {
				t.Fatalf("state %v", c.State())
			}
		})
	}
}
