package zkimport

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/zkimporttest"
	"github.com/zkensemble/zkensemble/pkg/datatree"
)

// TestLoadMatchesZooKeeper is the differential test at the tree level:
// ZooKeeper restarted on its data (its expired session's ephemerals removed)
// and the imported tree show the same znodes, data, ACLs and stats.
func TestLoadMatchesZooKeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Apache ZooKeeper")
	}
	srv, hot := zkimporttest.ZooKeeperDataDir(t)
	snaps, _ := filepath.Glob(filepath.Join(srv.DataDir, "version-2", "snapshot.*"))
	logs, _ := filepath.Glob(filepath.Join(srv.DataDir, "version-2", "log.*"))
	t.Logf("%d snapshots, %d logs", len(snaps), len(logs))
	if len(snaps) < 3 || len(logs) < 3 {
		t.Fatalf("want several snapshots and logs, got %d and %d", len(snaps), len(logs))
	}
	cold, err := Load(srv.DataDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold: %+v", *summary(cold))
	hotRes, err := Load(hot, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cold.Txns == 0 {
		t.Error("no transaction after the last snapshot was replayed")
	}
	if cold.DigestsChecked == 0 {
		t.Error("no tree digest was compared")
	}
	if cold.Ephemerals != 3 {
		t.Errorf("%d ephemerals removed, want 3", cold.Ephemerals)
	}
	srv.Restart()
	c := zkimporttest.Connect(t, srv.Addr, 4*time.Second)
	if err := c.AddAuth("digest", []byte(zkimporttest.Super)); err != nil {
		t.Fatal(err)
	}
	zkimporttest.WaitGone(t, c, "/live/eph-a")
	want := zkimporttest.ReadAll(t, c)
	for name, res := range map[string]*Result{"cold": cold, "hot": hotRes} {
		got := readTree(t, res.Tree)
		if st := got["/live"].Stat; st.Pzxid != res.Zxid {
			t.Errorf("%s: /live pzxid %d, want the expiry zxid %d", name, st.Pzxid, res.Zxid)
		}
		if diffs := zkimporttest.Diff(want, got, func(p string) bool { return p == "/live" }); len(diffs) > 0 {
			t.Errorf("%s import differs from ZooKeeper in %d ways:\n%s", name, len(diffs), strings.Join(head(diffs, 30), "\n"))
		}
	}
	c.Close()
	srv.Stop()
	damagedCopies(t, srv.DataDir)
}

func summary(r *Result) *Result { s := *r; s.Tree = nil; return &s }

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// readTree is zkimporttest.ReadAll over a tree in memory.
func readTree(t *testing.T, tr *datatree.Tree) map[string]zkimporttest.Znode {
	t.Helper()
	super := datatree.Auth{Super: true}
	out := map[string]zkimporttest.Znode{}
	queue := []string{"/"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		children, _, code := tr.GetChildren(p, super, nil)
		data, st, code2 := tr.GetData(p, super, nil)
		acl, _, code3 := tr.GetACL(p, super)
		if code != 0 || code2 != 0 || code3 != 0 {
			t.Fatalf("read %s: %v %v %v", p, code, code2, code3)
		}
		sort.Strings(children)
		z := zkimporttest.Znode{Data: data, Children: children, Stat: zk.Stat{
			Czxid: st.Czxid, Mzxid: st.Mzxid, Ctime: st.Ctime, Mtime: st.Mtime, Version: st.Version, Cversion: st.Cversion,
			Aversion: st.Aversion, EphemeralOwner: st.EphemeralOwner, DataLength: st.DataLength, NumChildren: st.NumChildren, Pzxid: st.Pzxid,
		}}
		for _, a := range acl {
			z.ACL = append(z.ACL, zk.ACL{Perms: a.Perms, Scheme: a.ID.Scheme, ID: a.ID.ID})
		}
		if len(z.Children) == 0 {
			z.Children = nil
		}
		out[p] = z
		for _, ch := range children {
			queue = append(queue, strings.TrimSuffix(p, "/")+"/"+ch)
		}
	}
	return out
}
