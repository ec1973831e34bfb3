package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// Restoring over a live ensemble is refused: spec.bootstrap cannot be
// added to an ensemble, nor changed or removed.
func TestBootstrapRefusedOnLiveEnsemble(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "live")
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	err := updateFresh(ctx, c, zke, func() {
		zke.Spec.Bootstrap = &zkv1.BootstrapSpec{FromBackup: &zkv1.BootstrapFromBackup{BackupName: "b1"}}
	})
	if err == nil || !strings.Contains(err.Error(), "restoring over a live ensemble is refused") {
		t.Fatalf("adding spec.bootstrap: %v; want it refused", err)
	}

	boot := newZKE(ns, "boot", func(z *zkv1.ZKEnsemble) {
		z.Spec.Bootstrap = &zkv1.BootstrapSpec{FromBackup: &zkv1.BootstrapFromBackup{BackupName: "b1"}}
	})
	if err := c.Create(ctx, boot); err != nil {
		t.Fatal(err)
	}
	if err := updateFresh(ctx, c, boot, func() { boot.Spec.Bootstrap.FromBackup.BackupName = "b2" }); err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Fatalf("changing spec.bootstrap: %v; want it refused", err)
	}
}

// An ensemble bootstrapped from a ZKBackup waits for it (no members, a
// condition that says why), then renders the seed member's init container
// with the backup's location, fixed in status.bootstrap.
func TestBootstrapFromBackup(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "restored", func(z *zkv1.ZKEnsemble) {
		z.Spec.Bootstrap = &zkv1.BootstrapSpec{FromBackup: &zkv1.BootstrapFromBackup{BackupName: "b1"}}
	})
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(zke)
	eventually(t, 20*time.Second, func() error {
		if err := c.Get(ctx, key, zke); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(zke.Status.Conditions, CondBootstrapped)
		if cond == nil || cond.Reason != BootstrapPending || !strings.Contains(cond.Message, "ZKBackup b1") {
			return fmt.Errorf("condition %+v", cond)
		}
		return nil
	})
	if err := c.Get(ctx, key, &appsv1.StatefulSet{}); !apierrors.IsNotFound(err) {
		t.Fatalf("StatefulSet before the backup is ready: %v", err)
	}

	b := newZKBackup(ns, "b1", "gone", s3Destination())
	if err := c.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	sts := &appsv1.StatefulSet{}
	eventually(t, 30*time.Second, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			return err
		}
		if b.Status.Phase != zkv1.BackupSucceeded {
			b.Status = zkv1.ZKBackupStatus{Phase: zkv1.BackupSucceeded, Location: "s3://bkt/zk/prod/b1", Zxid: "0x9"}
			if err := c.Status().Update(ctx, b); err != nil {
				return err
			}
		}
		return c.Get(ctx, key, sts)
	})
	init := sts.Spec.Template.Spec.InitContainers
	if len(init) != 1 || init[0].Name != bootstrapContainer {
		t.Fatalf("init containers %+v", init)
	}
	if cmd := strings.Join(init[0].Command, " "); !strings.Contains(cmd, "restore --from s3://bkt/zk/prod/b1?endpoint=") {
		t.Errorf("command %s", cmd)
	}
	eventually(t, 20*time.Second, func() error {
		if err := c.Get(ctx, key, zke); err != nil {
			return err
		}
		if st := zke.Status.Bootstrap; st == nil || st.Mode != "restore" || st.CredentialsSecret != "creds" || !strings.HasPrefix(st.Location, "s3://bkt/zk/prod/b1") {
			return fmt.Errorf("status.bootstrap %+v", st)
		}
		return nil
	})
	// The backup object going away changes nothing: the source is fixed.
	if err := c.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if err := c.Get(ctx, key, sts); err != nil {
			return err
		}
		if len(sts.Spec.Template.Spec.InitContainers) != 1 {
			return fmt.Errorf("init containers changed after the backup was deleted")
		}
		return nil
	})
}

// The schedule makes ZKBackups owned by the ensemble, one at a time (a run
// is skipped while one has not ended), and retention keeps the newest few
// failed ones.
func TestBackupSchedule(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "sched", func(z *zkv1.ZKEnsemble) {
		z.Spec.Backup = &zkv1.BackupSpec{Schedule: "@every 1s", Destination: s3Destination()}
	})
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	list := func() []zkv1.ZKBackup {
		var l zkv1.ZKBackupList
		if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	seenFailed := map[string]bool{}
	eventually(t, 60*time.Second, func() error {
		items := list()
		open := 0
		for _, b := range items {
			if b.Labels[scheduledByLabel] != "sched" || len(b.OwnerReferences) != 1 || b.OwnerReferences[0].UID != zke.UID {
				t.Fatalf("backup %s: labels %v owners %v", b.Name, b.Labels, b.OwnerReferences)
			}
			if b.Status.Phase == zkv1.BackupFailed {
				seenFailed[b.Name] = true
			} else {
				open++
			}
		}
		if open > 1 {
			t.Fatalf("%d backups not ended at once: a run must be skipped while one runs", open)
		}
		failed := len(items) - open
		if failed > keepFailed {
			return fmt.Errorf("%d failed backups kept", failed)
		}
		if len(seenFailed) <= keepFailed {
			return fmt.Errorf("%d failed so far", len(seenFailed))
		}
		return nil
	})
}
