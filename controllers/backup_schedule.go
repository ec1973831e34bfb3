package controllers

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// Labels and annotations of the backups a schedule makes.
const (
	// scheduledByLabel names the ensemble whose schedule made a backup.
	scheduledByLabel = "zookeeper.zkensemble.io/scheduled-by"
	// scheduledAtAnnotation is the cron time the backup was made for.
	scheduledAtAnnotation = "zookeeper.zkensemble.io/scheduled-at"
	// keepFailed is how many failed scheduled backups stay, to be read.
	keepFailed = 3
)

// ScheduleReconciler makes an ensemble's scheduled backups
// (spec.backup.schedule) and deletes the ZKBackup objects retention let go,
// as the backup Job does in the store.
type ScheduleReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

func (r *ScheduleReconciler) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Reconcile makes the backup that is due, applies retention, and comes
// back at the next cron time.
func (r *ScheduleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	zke := &zkv1.ZKEnsemble{}
	if err := r.Get(ctx, req.NamespacedName, zke); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if zke.Spec.Backup == nil || !zke.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	sched, err := zkv1.ParseSchedule(zke.Spec.Backup.Schedule)
	if err != nil {
		return ctrl.Result{}, nil // the webhook refuses it; nothing to run
	}
	var list zkv1.ZKBackupList
	if err := r.List(ctx, &list, client.InNamespace(zke.Namespace), client.MatchingLabels{scheduledByLabel: zke.Name}); err != nil {
		return ctrl.Result{}, err
	}
	now := r.now()
	last, running := zke.CreationTimestamp.Time, false
	for _, b := range list.Items {
		if t, err := time.Parse(time.RFC3339, b.Annotations[scheduledAtAnnotation]); err == nil && t.After(last) {
			last = t
		}
		running = running || b.Status.Phase == "" || b.Status.Phase == zkv1.BackupPending || b.Status.Phase == zkv1.BackupRunning
	}
	if due := dueTime(sched.Next, last, now); !due.IsZero() {
		if running {
			r.Recorder.Eventf(zke, nil, corev1.EventTypeNormal, "BackupSkipped", "Backup", "the %s backup is skipped: the previous one still runs", due.Format(time.RFC3339))
		} else if err := r.create(ctx, zke, due); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.prune(ctx, zke, list.Items, now); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: max(sched.Next(now).Sub(now), time.Second)}, nil
}

// dueTime is the latest cron time after last and not after now (zero when
// none): runs missed while the operator was down collapse into one.
func dueTime(next func(time.Time) time.Time, last, now time.Time) time.Time {
	var due time.Time
	for t := next(last); !t.After(now); t = next(t) {
		due = t
	}
	return due
}

// create makes the scheduled backup for cron time at, owned by the ensemble.
func (r *ScheduleReconciler) create(ctx context.Context, zke *zkv1.ZKEnsemble, at time.Time) error {
	spec := zke.Spec.Backup
	retention := spec.Retention
	b := &zkv1.ZKBackup{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%s", zke.Name, at.UTC().Format("20060102-150405")), Namespace: zke.Namespace,
			Labels:      map[string]string{scheduledByLabel: zke.Name, "app.kubernetes.io/managed-by": "zkensemble-operator"},
			Annotations: map[string]string{scheduledAtAnnotation: at.UTC().Format(time.RFC3339)},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: zkv1.GroupVersion.String(), Kind: "ZKEnsemble", Name: zke.Name, UID: zke.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: zkv1.ZKBackupSpec{Ensemble: zke.Name, Destination: *spec.Destination.DeepCopy(), Retention: &retention},
	}
	if err := r.Create(ctx, b); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ZKBackup %s: %w", b.Name, err)
	}
	r.Recorder.Eventf(zke, nil, corev1.EventTypeNormal, "BackupScheduled", "Backup", "made ZKBackup %s", b.Name)
	return nil
}

// prune deletes the scheduled ZKBackups retention lets go: of the succeeded
// ones, those neither the newest, nor among the keepLast newest, nor younger
// than keepWithin (the rule the backup Job applies to the store,
// pkg/backup's Retention); of the failed ones, all but the newest few. The archives themselves are the Job's to delete.
func (r *ScheduleReconciler) prune(ctx context.Context, zke *zkv1.ZKEnsemble, items []zkv1.ZKBackup, now time.Time) error {
	for _, b := range expired(items, zke.Spec.Backup.Retention, now) {
		if err := r.Delete(ctx, &b); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete ZKBackup %s: %w", b.Name, err)
		}
		r.Recorder.Eventf(zke, nil, corev1.EventTypeNormal, "BackupPruned", "Backup", "retention deleted ZKBackup %s", b.Name)
	}
	return nil
}

// expired are the backups retention deletes.
func expired(items []zkv1.ZKBackup, ret zkv1.BackupRetention, now time.Time) []zkv1.ZKBackup {
	var ok, failed []zkv1.ZKBackup
	for _, b := range items {
		switch b.Status.Phase {
		case zkv1.BackupSucceeded:
			ok = append(ok, b)
		case zkv1.BackupFailed:
			failed = append(failed, b)
		}
	}
	newestFirst := func(bs []zkv1.ZKBackup) {
		sort.Slice(bs, func(i, j int) bool { return completed(bs[i]).After(completed(bs[j])) })
	}
	newestFirst(ok)
	newestFirst(failed)
	var out []zkv1.ZKBackup
	if ret.KeepLast != nil || ret.KeepWithin != "" {
		within, _ := time.ParseDuration(ret.KeepWithin)
		for i, b := range ok {
			keep := i == 0 || (ret.KeepLast != nil && i < int(*ret.KeepLast)) || (within > 0 && now.Sub(completed(b)) <= within)
			if !keep {
				out = append(out, b)
			}
		}
	}
	if len(failed) > keepFailed {
		out = append(out, failed[keepFailed:]...)
	}
	return out
}

func completed(b zkv1.ZKBackup) time.Time {
	if b.Status.CompletionTime != nil {
		return b.Status.CompletionTime.Time
	}
	return b.CreationTimestamp.Time
}

// SetupWithManager registers the scheduler: ensembles and the backups they own.
func (r *ScheduleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&zkv1.ZKEnsemble{}).
		Owns(&zkv1.ZKBackup{}).
		Named("zkbackup-schedule").
		Complete(r)
}
