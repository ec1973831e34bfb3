package sessionserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

func connectGoZK(t testing.TB, addr string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	poll(t, 10*time.Second, "go-zk session", func() bool { return c.State() == zk.StateHasSession })
	return c, ev
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func TestGoZKOperations(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ExtendedTypes = true; c.SuperDigest = datatree.DigestID("super", "test") })
	c, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	acl := zk.WorldACL(zk.PermAll)

	if p, err := c.Create("/app", []byte("v1"), 0, acl); err != nil || p != "/app" {
		t.Fatalf("create: %q %v", p, err)
	}
	if _, err := c.Create("/app", nil, 0, acl); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := c.Create("/missing/child", nil, 0, acl); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("create under missing parent: %v", err)
	}
	seq1, err := c.Create("/app/s-", nil, zk.FlagSequence, acl)
	if err != nil || seq1 != "/app/s-0000000000" {
		t.Fatalf("sequential: %q %v", seq1, err)
	}
	eph, err := c.Create("/app/e", []byte("x"), zk.FlagEphemeral, acl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/app/e/under", nil, 0, acl); !errors.Is(err, zk.ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}
	if _, err := c.CreateContainer("/box", nil, zk.FlagContainer, acl); err != nil {
		t.Fatalf("container: %v", err)
	}
	if _, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, acl, time.Hour); err != nil {
		t.Fatalf("ttl: %v", err)
	}
	data, st, err := c.Get("/app")
	if err != nil || string(data) != "v1" || st.Version != 0 || st.NumChildren != 2 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	st2, err := c.Set("/app", []byte("v2"), 0)
	if err != nil || st2.Version != 1 {
		t.Fatalf("set: %+v %v", st2, err)
	}
	if _, err := c.Set("/app", []byte("v3"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("set with stale version: %v", err)
	}
	ok, est, err := c.Exists(eph)
	if err != nil || !ok || est.EphemeralOwner != c.SessionID() {
		t.Fatalf("exists: %v %+v %v", ok, est, err)
	}
	children, _, err := c.Children("/app")
	sort.Strings(children)
	if err != nil || !slices.Equal(children, []string{"e", "s-0000000000"}) {
		t.Fatalf("children: %v %v", children, err)
	}
	if err := c.Delete("/app", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if _, err := c.Sync("/app"); err != nil {
		t.Fatalf("sync: %v", err)
	}

	// multi: success, then a failure that changes nothing.
	res, err := c.Multi(&zk.CreateRequest{Path: "/m1", Acl: acl}, &zk.SetDataRequest{Path: "/m1", Data: []byte("d"), Version: 0}, &zk.CheckVersionRequest{Path: "/m1", Version: 1})
	if err != nil || len(res) != 3 {
		t.Fatalf("multi: %v %v", res, err)
	}
	_, err = c.Multi(&zk.CreateRequest{Path: "/m2", Acl: acl}, &zk.DeleteRequest{Path: "/nonexistent", Version: -1})
	if !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("failed multi: %v", err)
	}
	if ok, _, _ := c.Exists("/m2"); ok {
		t.Fatal("a failed multi left /m2 behind")
	}

	// ACLs: digest-protected node, another session without auth is refused.
	if err := c.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/private", []byte("s"), 0, zk.DigestACL(zk.PermAll, "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	acls, _, err := c.GetACL("/private")
	if err != nil || len(acls) != 1 || acls[0].ID != datatree.DigestID("alice", "secret") {
		t.Fatalf("getACL: %+v %v", acls, err)
	}
	other, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	if _, _, err := other.Get("/private"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated read: %v", err)
	}
	if _, err := other.SetACL("/app", zk.WorldACL(zk.PermRead), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Create("/app/denied", nil, 0, acl); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("create without CREATE permission: %v", err)
	}
	// super bypasses ACLs.
	if err := other.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get("/private"); err != nil {
		t.Fatalf("super read: %v", err)
	}
	// reconfig is disabled by default, as in ZooKeeper.
	if _, err := other.IncrementalReconfig(nil, []string{"2"}, -1); !errors.Is(err, zk.ErrReconfigDisabled) {
		t.Fatalf("reconfig: %v", err)
	}
	// /app is read-only now: deleting a child needs DELETE on it, which super bypasses.
	if err := c.Delete(seq1, -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("delete without DELETE permission: %v", err)
	}
	if err := other.Delete(seq1, -1); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := c.Exists(seq1); ok {
		t.Fatal("deleted node still exists")
	}
}

func TestWatchesAndRestore(t *testing.T) {
	s := startServer(t, nil)
	c, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	writer, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	acl := zk.WorldACL(zk.PermAll)

	_, _, existsW, err := c.ExistsW("/w")
	if err != nil {
		t.Fatal(err)
	}
	writer.Create("/w", []byte("1"), 0, acl)
	if ev := <-existsW; ev.Type != zk.EventNodeCreated || ev.Path != "/w" {
		t.Fatalf("exists watch: %+v", ev)
	}
	_, _, dataW, _ := c.GetW("/w")
	_, _, childW, _ := c.ChildrenW("/w")
	writer.Create("/w/c", nil, 0, acl)
	if ev := <-childW; ev.Type != zk.EventNodeChildrenChanged {
		t.Fatalf("child watch: %+v", ev)
	}
	writer.Set("/w", []byte("2"), -1)
	if ev := <-dataW; ev.Type != zk.EventNodeDataChanged {
		t.Fatalf("data watch: %+v", ev)
	}

	// A watch set before a reconnect is restored with setWatches and fires
	// for a change made while the client was away.
	_, _, dataW, _ = c.GetW("/w")
	var victim *conn
	for _, cn := range s.connList() {
		if cn.sid == c.SessionID() {
			victim = cn
		}
	}
	sid := c.SessionID()
	victim.close()
	writer.Set("/w", []byte("3"), -1)
	select {
	case ev := <-dataW:
		if ev.Type != zk.EventNodeDataChanged || ev.Path != "/w" {
			t.Fatalf("restored watch: %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("restored watch did not fire")
	}
	if c.SessionID() != sid {
		t.Fatalf("session changed across reconnect: %x → %x", sid, c.SessionID())
	}
}

func TestHandshake(t *testing.T) {
	s := startServer(t, func(c *Config) { c.TickTime = 2000 })
	t.Run("ids, unguessable passwords and clamped timeouts", func(t *testing.T) {
		for _, tc := range []struct{ req, want int32 }{{1000, 4000}, {100000, 40000}, {30000, 30000}} {
			r := dialRaw(t, s.Addr())
			resp := r.newSession(tc.req)
			if resp.TimeOut != tc.want {
				t.Errorf("requested %d: negotiated %d, want %d", tc.req, resp.TimeOut, tc.want)
			}
			if resp.SessionID <= 0 || sessions.ServerOf(resp.SessionID) != 1 {
				t.Errorf("session id %#x: want positive with server id 1 in the top byte", resp.SessionID)
			}
			if len(resp.Passwd) != sessions.PasswordLen || bytes.Equal(resp.Passwd, sessions.ZooKeeperPassword(resp.SessionID)) {
				t.Errorf("password %x of %#x: want %d bytes, not ZooKeeper's guessable one", resp.Passwd, resp.SessionID, sessions.PasswordLen)
			}
		}
	})
	t.Run("readOnly byte echoed only when sent", func(t *testing.T) {
		r := dialRaw(t, s.Addr())
		r.sendBytes(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)})))
		if b := r.frame(); len(b) != 36 {
			t.Errorf("44-byte request: %d-byte reply, want 36", len(b))
		}
		r2 := dialRaw(t, s.Addr())
		r2.sendBytes(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true})))
		if b := r2.frame(); len(b) != 37 {
			t.Errorf("45-byte request: %d-byte reply, want 37", len(b))
		}
	})
	t.Run("reattach keeps the session, a wrong password is refused", func(t *testing.T) {
		first := dialRaw(t, s.Addr())
		resp := first.newSession(10000)
		again := dialRaw(t, s.Addr())
		resp2 := again.connect(wire.ConnectRequest{TimeOut: 20000, SessionID: resp.SessionID, Passwd: resp.Passwd})
		if resp2.SessionID != resp.SessionID || resp2.TimeOut != 20000 {
			t.Fatalf("reattach: %+v", resp2)
		}
		if !first.closed() {
			t.Error("the older connection of the session was not closed")
		}
		bad := dialRaw(t, s.Addr())
		pw := slices.Clone(resp.Passwd)
		pw[0] ^= 0xff
		resp3 := bad.connect(wire.ConnectRequest{TimeOut: 20000, SessionID: resp.SessionID, Passwd: pw, HasReadOnly: true})
		if resp3.TimeOut != 0 || resp3.SessionID != 0 || !bytes.Equal(resp3.Passwd, make([]byte, 16)) {
			t.Fatalf("wrong password answered %+v", resp3)
		}
		if !bad.closed() {
			t.Error("connection with a wrong password stayed open")
		}
	})
	t.Run("client ahead of the server is refused", func(t *testing.T) {
		r := dialRaw(t, s.Addr())
		r.send(&wire.ConnectRequest{LastZxidSeen: 1 << 40, TimeOut: 30000, Passwd: make([]byte, 16)})
		if r.frame() != nil {
			t.Fatal("got a reply; ZooKeeper closes without one")
		}
	})
}

// TestExpiry measures when an abandoned session expires: between timeout and
// timeout+tick after its last touch, its ephemerals removed and watchers told.
func TestExpiry(t *testing.T) {
	const tick = 200
	s := startServer(t, func(c *Config) { c.TickTime = tick })
	watcher, _ := connectGoZK(t, s.Addr(), 4*time.Second)

	r := dialRaw(t, s.Addr())
	resp := r.newSession(400) // 2 ticks, the minimum
	r.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/eph", ACL: datatree.OpenACLUnsafe, Flags: wire.ModeEphemeral})
	if h, _ := r.reply(); h.Err != 0 {
		t.Fatalf("create: %d", h.Err)
	}
	lastTouch := time.Now()
	_, _, w, err := watcher.ExistsW("/eph")
	if err != nil {
		t.Fatal(err)
	}
	ev := <-w
	elapsed := time.Since(lastTouch)
	if ev.Type != zk.EventNodeDeleted {
		t.Fatalf("event %+v", ev)
	}
	t.Logf("session timeout %d ms, tick %d ms: ephemeral deleted %v after the last touch", resp.TimeOut, tick, elapsed)
	if elapsed < time.Duration(resp.TimeOut)*time.Millisecond {
		t.Fatalf("expired after %v, before the %d ms timeout", elapsed, resp.TimeOut)
	}
	// The upper bound is timeout+tick; allow scheduling noise on a shared machine.
	if limit := time.Duration(resp.TimeOut+tick)*time.Millisecond + 2*time.Second; elapsed > limit {
		t.Fatalf("expired after %v, later than %v", elapsed, limit)
	}
	if !r.closed() {
		t.Error("the expired session's connection is still open")
	}
	// Reattaching after expiry: the client is told (timeOut 0).
	late := dialRaw(t, s.Addr())
	if got := late.connect(wire.ConnectRequest{TimeOut: 400, SessionID: resp.SessionID, Passwd: resp.Passwd}); got.TimeOut != 0 || got.SessionID != 0 {
		t.Fatalf("reattach after expiry: %+v", got)
	}
}

func TestCloseSessionNotifiesBeforeReply(t *testing.T) {
	s := startServer(t, nil)
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	r.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/e", ACL: datatree.OpenACLUnsafe, Flags: wire.ModeEphemeral})
	r.reply()
	r.send(&wire.RequestHeader{Xid: 2, Type: wire.OpExists}, &wire.PathWatchRequest{Path: "/e", Watch: true})
	r.reply()
	r.send(&wire.RequestHeader{Xid: 3, Type: wire.OpCloseSession})
	h, body := r.reply()
	if h.Xid != -1 {
		t.Fatalf("first frame xid %d, want the notification", h.Xid)
	}
	var ev wire.WatcherEvent
	ev.Decode(wire.NewDecoder(body))
	if ev.Type != wire.EventNodeDeleted || ev.Path != "/e" {
		t.Fatalf("event %+v", ev)
	}
	if h, _ := r.reply(); h.Xid != 3 || h.Err != 0 {
		t.Fatalf("close reply %+v", h)
	}
	if !r.closed() {
		t.Fatal("socket open after closeSession")
	}
}

func TestPipelinedRepliesInOrder(t *testing.T) {
	s := startServer(t, nil)
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	// Writes and reads interleaved without waiting: replies come back in request order,
	// and each read sees the writes before it.
	var b []byte
	for i := 0; i < 50; i++ {
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		if i%2 == 0 {
			(&wire.RequestHeader{Xid: int32(i + 1), Type: wire.OpCreate}).Encode(e)
			(&wire.CreateRequest{Path: fmt.Sprintf("/n%d", i), ACL: datatree.OpenACLUnsafe}).Encode(e)
		} else {
			(&wire.RequestHeader{Xid: int32(i + 1), Type: wire.OpExists}).Encode(e)
			(&wire.PathWatchRequest{Path: fmt.Sprintf("/n%d", i-1)}).Encode(e)
		}
		e.EndFrame()
		b = append(b, e.Bytes()...)
	}
	r.sendBytes(b)
	for i := 0; i < 50; i++ {
		h, _ := r.reply()
		if h.Xid != int32(i+1) || h.Err != 0 {
			t.Fatalf("reply %d: %+v", i, h)
		}
	}
}

func TestNotificationBeforeWriteReply(t *testing.T) {
	s := startServer(t, nil)
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	r.send(&wire.RequestHeader{Xid: 1, Type: wire.OpExists}, &wire.PathWatchRequest{Path: "/w", Watch: true})
	if h, _ := r.reply(); h.Err != int32(wire.ErrNoNode) {
		t.Fatalf("exists: %+v", h)
	}
	r.send(&wire.RequestHeader{Xid: 2, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/w", ACL: datatree.OpenACLUnsafe})
	h, _ := r.reply()
	if h.Xid != -1 || h.Zxid != -1 {
		t.Fatalf("first frame %+v, want the NodeCreated notification (xid -1, zxid -1)", h)
	}
	if h, _ := r.reply(); h.Xid != 2 {
		t.Fatalf("then %+v, want the create reply", h)
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, nil)
	good, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	cases := []struct {
		name string
		send func(r *rawConn)
		want func(t *testing.T, r *rawConn)
	}{
		{"oversized frame", func(r *rawConn) { r.newSession(4000); r.sendBytes([]byte{0, 0x20, 0, 0}) }, nil},
		{"negative length", func(r *rawConn) { r.newSession(4000); r.sendBytes([]byte{0xff, 0xff, 0xff, 0xf0}) }, nil},
		{"garbage handshake", func(r *rawConn) { r.sendBytes(wire.AppendFrame(nil, []byte{1, 2, 3})) }, nil},
		{"truncated header", func(r *rawConn) { r.newSession(4000); r.sendBytes(wire.AppendFrame(nil, []byte{0, 0, 0})) }, nil},
		{"unknown opcode", func(r *rawConn) {
			r.newSession(4000)
			r.send(&wire.RequestHeader{Xid: 7, Type: 999})
		}, func(t *testing.T, r *rawConn) {
			h, _ := r.reply()
			if h.Xid != 7 || h.Zxid != -1 || h.Err != int32(wire.ErrUnimplemented) {
				t.Fatalf("unknown opcode reply %+v", h)
			}
		}},
	}
	before := counterValue(t, s, "zkensemble_malformed_packets_total")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, s.Addr())
			tc.send(r)
			if tc.want != nil {
				tc.want(t, r)
			}
			if !r.closed() {
				t.Fatal("connection stayed open")
			}
			if _, err := good.Create("/still-serving-"+strings.ReplaceAll(tc.name, " ", "-"), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("another client stopped being served: %v", err)
			}
		})
	}
	if after := counterValue(t, s, "zkensemble_malformed_packets_total"); after < before+4 {
		t.Fatalf("malformed packets counted %v → %v", before, after)
	}
}

func counterValue(t testing.TB, s *Server, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + s.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+" ") {
			var v float64
			fmt.Sscanf(strings.TrimPrefix(line, name+" "), "%g", &v)
			return v
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestFourLetterWords(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.FourLetterAll = false
		c.FourLetterWords = map[string]bool{"srvr": true, "ruok": true, "mntr": true}
	})
	connectGoZK(t, s.Addr(), 4*time.Second)
	four := func(cmd string) string {
		r := dialRaw(t, s.Addr())
		r.sendBytes([]byte(cmd))
		r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(r.br)
		return string(b)
	}
	if got := four("ruok"); got != "imok" {
		t.Errorf("ruok: %q", got)
	}
	if got := four("cons"); got != "cons is not executed because it is not in the whitelist.\n" {
		t.Errorf("cons: %q", got)
	}
	srvr := four("srvr")
	for _, want := range []string{"Zookeeper version: " + Version + "\n", "Mode: standalone\n", "Node count: 5\n", "Zxid: 0x1\n"} {
		if !strings.Contains(srvr, want) {
			t.Errorf("srvr lacks %q:\n%s", want, srvr)
		}
	}
	// go-zookeeper's own parser of srvr must accept ours.
	stats, ok := zk.FLWSrvr([]string{s.Addr()}, 2*time.Second)
	if !ok || stats[0].Error != nil || stats[0].Mode != zk.ModeStandalone || stats[0].NodeCount != 5 {
		t.Errorf("FLWSrvr: %+v", stats[0])
	}
	if mntr := four("mntr"); !strings.Contains(mntr, "zk_znode_count\t5\n") || !strings.Contains(mntr, "zk_global_sessions\t1\n") {
		t.Errorf("mntr:\n%s", mntr)
	}
}

func TestMaxClientCnxns(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxClientCnxns = 2 })
	a, b := dialRaw(t, s.Addr()), dialRaw(t, s.Addr())
	a.newSession(4000)
	b.newSession(4000)
	third := dialRaw(t, s.Addr())
	if !third.closed() {
		t.Fatal("third connection from one address was accepted with maxClientCnxns=2")
	}
}

func TestAdminEndpoints(t *testing.T) {
	tokenPath := filepath.Join(t.TempDir(), "token")
	writeToken(t, tokenPath, "0123456789abcdef")
	s := startServer(t, func(c *Config) { c.AdminTokenFile = tokenPath })
	admin := adminapi.NewClient(s.AdminURL(), nil, adminapi.Credentials{Token: "0123456789abcdef"})
	c, _ := connectGoZK(t, s.Addr(), 4*time.Second)
	for path, want := range map[string]string{
		"/healthz":          "ok",
		"/readyz":           "ok",
		"/commands/ruok":    `"command":"ruok"`,
		"/commands/nosuch":  `"error":"Unknown command: nosuch"`,
		"/v1/sessions":      fmt.Sprintf(`"id":"0x%x"`, c.SessionID()),
		"/commands/monitor": `"znode_count":5`,
		"/metrics":          "zkensemble_sessions 1",
	} {
		resp, err := admin.Do(t.Context(), http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%.500s", path, want, b)
		}
	}
}
