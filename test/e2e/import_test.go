//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// zookeeperImport: a data directory written by Apache ZooKeeper 3.8 (run on
// the host), copied onto a PVC, bootstraps an ensemble
// (spec.bootstrap.fromZooKeeper) that serves every znode with its data.
func zookeeperImport(t *testing.T, ctx context.Context, ns string) {
	ins := backupNS(t, ns, "import")
	k.must(t, k.kubectl, "create", "namespace", ins)
	want, archive := zookeeperDataDir(t, ctx)
	loadPVC(t, ins, "zk-data", archive)
	start := time.Now()
	z := ensureBackupEnsemble(t, ctx, ins, "imp", "  bootstrap:\n    fromZooKeeper: {pvc: {claimName: zk-data}}\n")
	if st := z.Status.Bootstrap; st == nil || st.Phase != "Restored" {
		t.Errorf("status.bootstrap %+v; want Restored", st)
	}
	t.Logf("the imported ensemble is Available in %s", time.Since(start).Round(time.Second))
	c, err := zkclient.Connect(z.Status.ConnectString, 20*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for p, data := range want {
		got, _, err := c.Get(cctx, p)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %q %v; want %q", p, got, err, data)
		}
	}
	if _, _, err := c.Create(cctx, "/app/after-import", []byte("x"), 0, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Errorf("write after the import: %v", err)
	}
	t.Logf("all %d znodes written to ZooKeeper are served", len(want))
}

// zookeeperDataDir runs Apache ZooKeeper 3.8 on the host, writes znodes
// (and takes a snapshot on the way: snapCount), stops it, and returns the
// znodes and its data directory as a tar archive.
func zookeeperDataDir(t *testing.T, ctx context.Context) (map[string][]byte, []byte) {
	srv := refzk.StartStandalone(t, refzk.Options{TickTime: 500, Extra: map[string]string{"snapCount": "100"}})
	c, err := zkclient.Connect(srv.Addr, 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"/app": []byte("root")}
	if _, _, err := c.Create(ctx, "/app", want["/app"], 0, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		p := fmt.Sprintf("/app/n%03d", i)
		want[p] = bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*7)
		if _, _, err := c.Create(ctx, p, want[p], 0, zkclient.WorldACL(wire.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		p, _, err := c.Create(ctx, "/app/seq-", []byte("s"), zkclient.PersistentSequential, zkclient.WorldACL(wire.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		want[p] = []byte("s")
	}
	c.Close()
	srv.Stop()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err = filepath.WalkDir(srv.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == srv.DataDir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name, _ = filepath.Rel(srv.DataDir, path)
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.Mode = 0o755
		if !d.IsDir() {
			hdr.Mode = 0o644
		}
		if err := tw.WriteHeader(hdr); err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return want, buf.Bytes()
}

// loadPVC makes PVC claim in ns holding the archive's files.
func loadPVC(t *testing.T, ns, claim string, archive []byte) {
	y := fmt.Sprintf(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: %[1]s-loader, namespace: %[2]s}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  containers:
  - name: loader
    image: %[3]s
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sleep", "3600"]
    securityContext: {runAsUser: 0}
    volumeMounts: [{name: pvc, mountPath: /pvc}]
  volumes:
  - {name: pvc, persistentVolumeClaim: {claimName: %[1]s}}
`, claim, ns, k.serverImage)
	if _, err := k.run(t, y, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	k.must(t, k.kubectl, "-n", ns, "wait", "pod/"+claim+"-loader", "--for=condition=Ready", "--timeout=2m")
	if out, err := k.run(t, string(archive), k.kubectl, "-n", ns, "exec", "-i", claim+"-loader", "--", "/bin/busybox", "tar", "x", "-C", "/pvc"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	k.must(t, k.kubectl, "-n", ns, "exec", claim+"-loader", "--", "/bin/busybox", "chmod", "-R", "a+rX", "/pvc")
	k.must(t, k.kubectl, "-n", ns, "delete", "pod", claim+"-loader", "--wait=true")
}
