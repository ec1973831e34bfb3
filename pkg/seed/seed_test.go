package seed

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

func TestWriteRefuses(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "zkensemble.stamp"), []byte("ensemble=x\nmember=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dst string
		opts      Options
		zxid      uint64
		want      string
	}{
		{"a data directory in use", full, Options{EnsembleID: "e"}, 1, "is not empty"},
		{"no ensemble id", filepath.Join(t.TempDir(), "d"), Options{}, 1, "ensemble id is required"},
		{"member id too large", filepath.Join(t.TempDir(), "d"), Options{EnsembleID: "e", MemberID: 256}, 1, "out of range"},
		{"zxid too large", filepath.Join(t.TempDir(), "d"), Options{EnsembleID: "e"}, 1 << 63, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, _ := testTree(t)
			err := Write(tc.dst, tree, tc.zxid, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(full, "zkensemble.stamp")); err != nil || string(b) != "ensemble=x\nmember=1\n" {
		t.Fatalf("the refused directory was changed: %q %v", b, err)
	}
}

// TestWriteDropsSessions: ephemerals of sessions go, as at their expiry (the
// parent's pzxid and cversion show it); containers and TTL nodes stay.
func TestWriteDropsSessions(t *testing.T) {
	tree, zxid := testTree(t)
	before := dumpTree(t, tree)
	w, err := WriteReport(filepath.Join(t.TempDir(), "d"), tree, zxid, Options{EnsembleID: "e"})
	if err != nil {
		t.Fatal(err)
	}
	after := dumpTree(t, tree)
	if w.DroppedEphemerals != 3 {
		t.Errorf("dropped %d ephemerals, want 3", w.DroppedEphemerals)
	}
	for _, p := range []string{"/locks/held-by-a", "/locks/held-by-b-0000000001", "/app/n03/eph"} {
		if _, ok := after[p]; ok {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range []string{"/box", "/box/inside", "/ttl", "/app/big"} {
		if _, ok := after[p]; !ok {
			t.Errorf("%s was dropped", p)
		}
	}
	if l := after["/locks"].Stat; l.Pzxid != int64(zxid) || l.NumChildren != 0 || l.Cversion != before["/locks"].Stat.Cversion+2 {
		t.Errorf("/locks after its ephemerals expired: %+v (before %+v)", l, before["/locks"].Stat)
	}
}

// TestSeededMemberServes (a real member process): every znode of the seeded
// tree reads back with its data, ACL and stat; a client that saw the seeded
// zxid is accepted, one that saw more is refused; new writes get zxids above
// the seeded one, before and after a restart.
func TestSeededMemberServes(t *testing.T) {
	tree, zxid := testTree(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := Write(dir, tree, zxid, Options{EnsembleID: "default"}); err != nil {
		t.Fatal(err)
	}
	want := dumpTree(t, tree)
	srv := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{ExtendedTypes: true, DataDir: func(int) string { return dir }})
	// Before any session is created (a transaction, with its own zxid).
	if r := handshake(t, srv.Addr, int64(zxid)+1); r.SessionID != 0 {
		t.Errorf("a client that saw zxid %#x, past the seed, was accepted", zxid+1)
	}
	if r := handshake(t, srv.Addr, int64(zxid)); r.SessionID == 0 {
		t.Errorf("a client that saw the seeded zxid %#x was refused", zxid)
	}
	c := connect(t, srv.Addr)
	diffTrees(t, "first start", want, dumpServer(t, c))
	first := create(t, c, "/after-seed")
	if first <= int64(zxid) || first>>32 <= int64(zxid>>32) {
		t.Fatalf("the first write after the seed got zxid %#x, not in an epoch after the seeded %#x", first, zxid)
	}
	srv.Restart()
	c2 := connect(t, srv.Addr)
	got := dumpServer(t, c2)
	delete(got, "/after-seed")
	want["/"] = got["/"] // the root's cversion and pzxid counted /after-seed
	diffTrees(t, "after a restart", want, got)
	if second := create(t, c2, "/after-restart"); second <= first {
		t.Fatalf("a write after the restart got zxid %#x, not above %#x", second, first)
	}
	if _, _, err := c2.Get(context.Background(), "/after-seed"); err != nil {
		t.Fatalf("/after-seed after the restart: %v", err)
	}
}

func connect(t *testing.T, addr string) *zkclient.Conn {
	t.Helper()
	c, err := zkclient.Connect(addr, 20*time.Second, zkclient.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// The digest ACLs' owner sees them unmasked.
	if err := c.AddAuth(context.Background(), "digest", []byte("app:secret")); err != nil {
		t.Fatal(err)
	}
	return c
}

func create(t *testing.T, c *zkclient.Conn, path string) int64 {
	t.Helper()
	_, st, err := c.Create(context.Background(), path, []byte("new"), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return st.Czxid
}

// dumpServer reads every znode through a client.
func dumpServer(t *testing.T, c *zkclient.Conn) map[string]znode {
	t.Helper()
	ctx := context.Background()
	out := map[string]znode{}
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.Get(ctx, p)
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		acl, _, err := c.GetACL(ctx, p)
		if err != nil {
			t.Fatalf("getACL %s: %v", p, err)
		}
		if data == nil {
			data = []byte{}
		}
		out[p] = znode{Data: data, Stat: st, ACL: acl}
		kids, _, err := c.Children(ctx, p)
		if err != nil {
			t.Fatalf("children %s: %v", p, err)
		}
		for _, k := range kids {
			if p == "/" {
				walk("/" + k)
			} else {
				walk(p + "/" + k)
			}
		}
	}
	walk("/")
	return out
}

// handshake asks for a new session having seen lastZxid; a refusal closes
// the connection (SessionID 0).
func handshake(t *testing.T, addr string, lastZxid int64) wire.ConnectResponse {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = nc.Close() }()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	req := &wire.ConnectRequest{LastZxidSeen: lastZxid, TimeOut: 10000, Passwd: make([]byte, sessions.PasswordLen)}
	if _, err := nc.Write(wire.AppendFrame(nil, wire.Marshal(req))); err != nil {
		t.Fatal(err)
	}
	var resp wire.ConnectResponse
	if b, err := wire.ReadFrame(nc, nil, 1<<20); err == nil {
		if err := resp.Decode(wire.NewDecoder(b)); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}
