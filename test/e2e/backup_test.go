//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// backupNS is a backup scenario's own namespace (its store, its
// ensembles), deleted when the scenario ends.
func backupNS(t *testing.T, ns, suffix string) string {
	bns := ns + "-" + suffix
	t.Cleanup(func() { _, _ = k.run(t, "", k.kubectl, "delete", "namespace", bns, "--wait=false") })
	return bns
}

// ensureBackupEnsemble runs the ensemble the backup scenarios back up,
// with extraSpec (spec.backup), and waits for it.
func ensureBackupEnsemble(t *testing.T, ctx context.Context, ns, name, extraSpec string) *zkv1.ZKEnsemble {
	t.Helper()
	if _, err := k.run(t, sampleYAML(name, ns, 3, extraSpec), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	return waitSettled(t, ctx, ns, name, 3, 4*time.Minute)
}

func applyBackup(t *testing.T, ns, name, ensemble, destination string) {
	t.Helper()
	y := fmt.Sprintf(`apiVersion: zookeeper.zkensemble.io/v1alpha1
kind: ZKBackup
metadata: {name: %s, namespace: %s}
spec:
  ensemble: %s
  destination:
    %s
`, name, ns, ensemble, destination)
	if _, err := k.run(t, y, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// waitBackup waits until the backup has ended, and returns it.
func waitBackup(t *testing.T, ctx context.Context, ns, name string, d time.Duration) *zkv1.ZKBackup {
	t.Helper()
	b := &zkv1.ZKBackup{}
	eventually(t, d, func() error {
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, b); err != nil {
			return err
		}
		if b.Status.Phase != zkv1.BackupSucceeded && b.Status.Phase != zkv1.BackupFailed {
			return fmt.Errorf("phase %q: %+v", b.Status.Phase, b.Status.Conditions)
		}
		return nil
	})
	return b
}

// backupFailures: a backup to a bucket that does not exist, and one with
// wrong credentials, end Failed with a condition that says so.
func backupFailures(t *testing.T, ctx context.Context, ns string) {
	bns := backupNS(t, ns, "bakfail")
	ensureStore(t, ctx, bns)
	ensureBackupEnsemble(t, ctx, bns, "zkb", "")
	cases := []struct {
		name, bucket, creds string
		says                []string // the condition's message names one of these
	}{
		{"to-missing-bucket", "no-such-bucket", storeCreds, []string{"bucket"}},
		{"wrong-credentials", storeBucket, "s3-wrong", []string{"denied", "credential", "signature", "access key", "forbidden"}},
	}
	for _, c := range cases {
		applyBackup(t, bns, c.name, "zkb", s3DestinationYAML(bns, c.bucket, "fail", c.creds, "    "))
	}
	for _, c := range cases {
		b := waitBackup(t, ctx, bns, c.name, 3*time.Minute)
		cond := meta.FindStatusCondition(b.Status.Conditions, "Ready")
		if b.Status.Phase != zkv1.BackupFailed || cond == nil || cond.Status != "False" {
			t.Errorf("%s: phase %s, condition %+v; want Failed", c.name, b.Status.Phase, cond)
			continue
		}
		t.Logf("%s: %s: %s", c.name, cond.Reason, cond.Message)
		msg := strings.ToLower(cond.Message)
		found := false
		for _, s := range c.says {
			found = found || strings.Contains(msg, s)
		}
		if !found {
			t.Errorf("%s: the condition %q names none of %q", c.name, cond.Message, c.says)
		}
	}
}

// ackedNode is a znode a client had acknowledged, with its czxid.
type ackedNode struct {
	path  string
	czxid int64
}

// writer creates /load/NNNNNN in order and records what was acknowledged.
type writer struct {
	mu    sync.Mutex
	acked []ackedNode
	stop  chan struct{}
	done  sync.WaitGroup
}

func startWriter(t *testing.T, connect string) *writer {
	c, err := zkclient.Connect(connect, 20*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := c.Create(ctx, "/load", nil, 0, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
		t.Fatal(err)
	}
	w := &writer{stop: make(chan struct{})}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond): // the load's pace
			}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			p, st, err := c.Create(cctx, fmt.Sprintf("/load/n%06d", i), []byte(strconv.Itoa(i)), 0, zkclient.WorldACL(wire.PermAll))
			cancel()
			if err == nil {
				w.mu.Lock()
				w.acked = append(w.acked, ackedNode{p, st.Czxid})
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *writer) finish() []ackedNode {
	close(w.stop)
	w.done.Wait()
	return w.acked
}

// scheduledBackupRestore: scheduled backups run under write load;
// retention removes old ones from the store and their ZKBackup objects; a
// new ensemble bootstrapped from the newest serves every znode acknowledged
// up to its zxid, accepts writes, and expires an old session.
func scheduledBackupRestore(t *testing.T, ctx context.Context, ns string) {
	bns := backupNS(t, ns, "backup")
	cli := ensureStore(t, ctx, bns)
	spec := fmt.Sprintf(`  backup:
    schedule: "@every 40s"
    retention: {keepLast: 2}
    destination:
      %s
`, s3DestinationYAML(bns, storeBucket, "zkb", storeCreds, "      "))
	z := ensureBackupEnsemble(t, ctx, bns, "zkb", spec)
	old, err := zkclient.Connect(z.Status.ConnectString, 20*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, _, err := old.Create(ctx, "/old-session", nil, zkclient.Ephemeral, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, z.Status.ConnectString)
	start := time.Now()
	succeeded := map[string]*zkv1.ZKBackup{}
	eventually(t, 6*time.Minute, func() error {
		var list zkv1.ZKBackupList
		if err := k.c.List(ctx, &list, client.InNamespace(bns), client.MatchingLabels{"zookeeper.zkensemble.io/scheduled-by": "zkb"}); err != nil {
			return err
		}
		live := 0
		for i, b := range list.Items {
			if b.Status.Phase == zkv1.BackupFailed {
				t.Fatalf("scheduled backup %s failed: %+v", b.Name, b.Status.Conditions)
			}
			if b.Status.Phase == zkv1.BackupSucceeded {
				succeeded[b.Name] = &list.Items[i]
				live++
			}
		}
		objs, err := storeObjects(ctx, cli, "zkb/")
		if err != nil {
			return err
		}
		if len(succeeded) < 3 || live > 2 || len(objs) > 2 {
			return fmt.Errorf("%d backups succeeded so far, %d ZKBackups kept, %d objects in the store (%v); want at least 3, at most 2, at most 2", len(succeeded), live, len(objs), objs)
		}
		return nil
	})
	acked := w.finish()
	t.Logf("%d scheduled backups in %s under load (%d writes acknowledged); retention kept 2", len(succeeded), time.Since(start).Round(time.Second), len(acked))
	var newest *zkv1.ZKBackup
	for _, b := range succeeded {
		if newest == nil || b.Status.CompletionTime.After(newest.Status.CompletionTime.Time) {
			newest = b
		}
	}
	if err := k.c.Get(ctx, client.ObjectKeyFromObject(newest), newest); err != nil {
		t.Fatalf("the newest backup %s is gone: %v", newest.Name, err)
	}
	zxid, err := strconv.ParseUint(strings.TrimPrefix(newest.Status.Zxid, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("zxid %q: %v", newest.Status.Zxid, err)
	}
	t.Logf("restoring %s: %s at zxid %s, %d bytes", newest.Name, newest.Status.Location, newest.Status.Zxid, newest.Status.Size)

	restoreStart := time.Now()
	restored := ensureBackupEnsemble(t, ctx, bns, "zkr", fmt.Sprintf("  bootstrap:\n    fromBackup: {backupName: %s}\n", newest.Name))
	if st := restored.Status.Bootstrap; st == nil || st.Phase != "Restored" {
		t.Errorf("status.bootstrap %+v; want Restored", st)
	}
	t.Logf("restored ensemble Available in %s: %s", time.Since(restoreStart).Round(time.Second), meta.FindStatusCondition(restored.Status.Conditions, "Bootstrapped").Message)
	c, err := zkclient.Connect(restored.Status.ConnectString, 20*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	before, missing := 0, 0
	for _, n := range acked {
		if uint64(n.czxid) > zxid {
			continue
		}
		before++
		if st, err := c.Exists(cctx, n.path); err != nil || st == nil {
			if missing++; missing <= 10 {
				t.Errorf("%s (czxid %#x, acknowledged before the backup's zxid %s) is not served: %v", n.path, n.czxid, newest.Status.Zxid, err)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of the %d znodes acknowledged up to the backup's zxid are not served", missing, before)
	}
	t.Logf("every one of the %d znodes acknowledged up to the backup's zxid is served", before)
	if st, err := c.Exists(cctx, "/old-session"); err != nil || st != nil {
		t.Errorf("the old session's ephemeral node: %+v %v; want it removed with its session", st, err)
	}
	if _, _, err := c.Create(cctx, "/after-restore", []byte("x"), 0, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Errorf("write after the restore: %v", err)
	}
	// The old session moves to the restored ensemble: it is expired there.
	if err := old.UpdateServerList(restored.Status.ConnectString); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case ev := <-old.Events():
			if ev.State == zkclient.StateExpired {
				return
			}
		case <-timeout:
			t.Fatal("the old session was not expired by the restored ensemble")
		}
	}
}
