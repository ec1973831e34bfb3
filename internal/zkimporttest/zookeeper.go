package zkimporttest

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// ZooKeeperDataDir runs Apache ZooKeeper 3.8 with a low snapCount (several
// snapshots and logs), writes zkimporttest's tree and ephemerals of a live
// session, copies the data directory while ZooKeeper runs (hot), stops it
// (the session's ephemerals stay behind), and returns the server (stopped)
// and the hot copy.
func ZooKeeperDataDir(t testing.TB) (*refzk.Server, string) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	off := false
	srv := refzk.StartStandalone(t, refzk.Options{
		TickTime: 500, MinSessionTimeout: 1000, MaxSessionTimeout: 4000, ExtendedTypes: true, ForceSync: &off,
		SuperDigest: SuperDigest, HeapMB: 512,
		Extra: map[string]string{"snapCount": "400", "preAllocSize": "256"},
	})
	live := Connect(t, srv.Addr, 2*time.Second)
	for _, p := range []string{"/live", "/live/eph-a", "/live/eph-b"} {
		flags := int32(zk.FlagEphemeral)
		if p == "/live" {
			flags = 0
		}
		if _, err := live.Create(p, []byte(p), flags, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := live.Create("/live/eph-seq-", nil, zk.FlagEphemeralSequential, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c := Connect(t, srv.Addr, 4*time.Second)
	Build(t, c, 6, 500)
	c.Close()
	hot := filepath.Join(t.TempDir(), "hot")
	if out, err := exec.Command("cp", "-a", srv.DataDir, hot).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	srv.Stop()
	live.Close() // the server is gone: the session expires, it is not closed
	return srv, hot
}

// WaitGone waits (watching it) until ZooKeeper has removed path, e.g. when
// it expires the session that owned it.
func WaitGone(t testing.TB, c *zk.Conn, path string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		ok, _, ch, err := c.ExistsW(path)
		if err != nil {
			t.Fatalf("exists %s: %v", path, err)
		}
		if !ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s still exists", path)
		}
	}
}
