package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/internal/zkimporttest"
)

// TestImportFromZooKeeper is issue 17's differential test: a tree written by
// Apache ZooKeeper 3.8 (several snapshots and logs, writes after the last
// snapshot, every kind of znode, ephemerals of a live session) is imported
// with `zkensemble-server import`, from the stopped server's data directory
// and from a copy taken while it ran; our server serves each import and
// ZooKeeper restarted on the original serves the same znodes, data, ACLs and
// stats, except the documented differences.
func TestImportFromZooKeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Apache ZooKeeper")
	}
	bin := refzk.BuildOurs(t)
	srv, hot := zkimporttest.ZooKeeperDataDir(t)
	tmp := t.TempDir()
	archive := filepath.Join(tmp, "zk.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", hot, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	// "object": the archive read from object storage (fileblob here; s3blob
	// is the same code path with another URL scheme).
	imports := map[string]string{"cold": srv.DataDir, "hot": filepath.Join(hot, "version-2"), "archive": archive, "object": "file://" + archive}
	dsts := map[string]string{}
	for name, src := range imports {
		dst := filepath.Join(tmp, name)
		out, err := exec.Command(bin, "import", src, dst).CombinedOutput()
		if err != nil {
			t.Fatalf("import %s: %v\n%s", name, err, out)
		}
		t.Logf("%s: %s", name, bytes.TrimSpace(out))
		dsts[name] = dst
	}
	srv.Restart()
	zc := zkimporttest.Connect(t, srv.Addr, 4*time.Second)
	if err := zc.AddAuth("digest", []byte(zkimporttest.Super)); err != nil {
		t.Fatal(err)
	}
	zkimporttest.WaitGone(t, zc, "/live/eph-a")
	want := zkimporttest.ReadAll(t, zc)
	// The next sequence number, after the comparison (it writes).
	nextSeq := func(c *zk.Conn) string {
		t.Helper()
		p, err := c.Create("/app/seqs/s-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wantSeq := ""
	for name, dst := range dsts {
		ours := refzk.StartOurs(t, bin, refzk.Options{
			TickTime: 500, ExtendedTypes: true, SuperDigest: zkimporttest.SuperDigest, Args: []string{"--dataDir", dst},
		})
		oc := zkimporttest.Connect(t, ours.Addr, 4*time.Second)
		if err := oc.AddAuth("digest", []byte(zkimporttest.Super)); err != nil {
			t.Fatal(err)
		}
		got := zkimporttest.ReadAll(t, oc)
		if diffs := zkimporttest.Diff(want, got, func(p string) bool { return p == "/live" }); len(diffs) > 0 {
			t.Errorf("%s: our server differs from ZooKeeper in %d ways:\n%s", name, len(diffs), strings.Join(diffs[:min(len(diffs), 30)], "\n"))
		}
		if len(got) < 3000 {
			t.Errorf("%s: only %d znodes", name, len(got))
		}
		if wantSeq == "" {
			wantSeq = nextSeq(zc)
		}
		if seq := nextSeq(oc); seq != wantSeq {
			t.Errorf("%s: next sequential znode %s, ZooKeeper made %s", name, seq, wantSeq)
		}
		oc.Close()
		ours.Stop()
	}
}

// TestImportRefusals: bad sources and destinations get a clear error and
// leave nothing behind.
func TestImportRefusals(t *testing.T) {
	bin := refzk.BuildOurs(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(filepath.Join(full, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty-src")
	if err := os.MkdirAll(filepath.Join(empty, "version-2"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad", "version-2")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "snapshot.10"), []byte("not a snapshot"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, dst, want string
	}{
		{"no ZooKeeper files", empty, filepath.Join(dir, "d1"), "no ZooKeeper snapshot or log files"},
		{"corrupt snapshot", filepath.Join(dir, "bad"), filepath.Join(dir, "d2"), "no valid snapshot"},
		{"destination not empty", filepath.Join(dir, "bad"), full, "is not empty"},
		{"missing source", filepath.Join(dir, "nope"), filepath.Join(dir, "d3"), "no such file"},
		{"not an archive", filepath.Join(bad, "snapshot.10"), filepath.Join(dir, "d4"), "neither a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(bin, "import", tc.src, tc.dst).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err %v, output %q; want an error with %q", err, out, tc.want)
			}
			if tc.dst != full {
				if _, err := os.Stat(tc.dst); !os.IsNotExist(err) {
					t.Errorf("%s was left behind: %v", tc.dst, err)
				}
			}
			if m, _ := filepath.Glob(filepath.Join(dir, ".*.import-*")); len(m) > 0 {
				t.Errorf("temporary directories left: %v", m)
			}
		})
	}
}
