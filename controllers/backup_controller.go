package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// BackupReconciler runs one Job per ZKBackup and reports what it did.
type BackupReconciler struct {
	client.Client
	// APIReader reads the user's Secrets the cache does not hold.
	APIReader   client.Reader
	Recorder    events.EventRecorder
	ServerImage string
	// ClusterDomain as in Reconciler.
	ClusterDomain string
	// PendingTimeout is how long a backup waits for its ensemble, Secret or
	// volume to appear before it fails; zero: 10 minutes.
	PendingTimeout time.Duration
}

// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkbackups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkbackups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=zookeeper.zkensemble.io,resources=zkbackups/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch

// waitError is a backup that cannot start yet: Pending with its reason
// until PendingTimeout, then Failed.
type waitError struct{ reason, msg string }

func (e *waitError) Error() string { return e.msg }

// failError is a backup that cannot run until a person changes something.
type failError struct{ reason, msg string }

func (e *failError) Error() string { return e.msg }

// Reconcile starts the backup's Job once, then follows it to its end.
func (r *BackupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	b := &zkv1.ZKBackup{}
	if err := r.Get(ctx, req.NamespacedName, b); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if b.Status.Phase == zkv1.BackupSucceeded || b.Status.Phase == zkv1.BackupFailed || !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	read := b.DeepCopy()
	res, err := r.step(ctx, b)
	if !equality.Semantic.DeepEqual(read.Status, b.Status) {
		if perr := r.Status().Patch(ctx, b, client.MergeFrom(read)); perr != nil {
			return ctrl.Result{}, errors.Join(err, perr)
		}
	}
	return res, err
}

// step does the one thing the backup needs next, into b.Status.
func (r *BackupReconciler) step(ctx context.Context, b *zkv1.ZKBackup) (ctrl.Result, error) {
	job := &batchv1.Job{}
	err := r.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Name}, job)
	switch {
	case err == nil:
		return ctrl.Result{}, r.follow(ctx, b, job)
	case !apierrors.IsNotFound(err):
		return ctrl.Result{}, err
	case b.Status.Phase == zkv1.BackupRunning && r.jobExists(ctx, b):
		// The cache has not seen the Job it created yet: its event comes.
		return ctrl.Result{}, nil
	case b.Status.Phase == zkv1.BackupRunning:
		// Its Job is gone before we saw it end (deleted, or its TTL passed
		// while the operator was down): say so rather than run it twice.
		r.finish(b, zkv1.BackupFailed, "JobLost", "the backup Job was deleted before it reported a result: create another ZKBackup")
		return ctrl.Result{}, nil
	}
	err = r.start(ctx, b)
	var wait *waitError
	var fail *failError
	switch {
	case errors.As(err, &wait) && time.Since(b.CreationTimestamp.Time) < r.pendingTimeout():
		b.Status.Phase = zkv1.BackupPending
		setBackupCondition(b, "Ready", metav1.ConditionFalse, wait.reason, wait.msg+" (the backup waits for it)")
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	case errors.As(err, &wait):
		r.finish(b, zkv1.BackupFailed, wait.reason, fmt.Sprintf("%s (waited %s)", wait.msg, r.pendingTimeout()))
		return ctrl.Result{}, nil
	case errors.As(err, &fail):
		r.finish(b, zkv1.BackupFailed, fail.reason, fail.msg)
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, err
}

// jobExists asks the API server, not the cache, whether b's Job exists: a
// Job created a moment ago may not be in the cache yet.
func (r *BackupReconciler) jobExists(ctx context.Context, b *zkv1.ZKBackup) bool {
	var reader client.Reader = r.Client
	if r.APIReader != nil {
		reader = r.APIReader
	}
	err := reader.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Name}, &batchv1.Job{})
	return err == nil
}

func (r *BackupReconciler) pendingTimeout() time.Duration {
	if r.PendingTimeout <= 0 {
		return 10 * time.Minute
	}
	return r.PendingTimeout
}

// start checks what the backup needs, picks a member and creates the
// identity Secret and the Job.
func (r *BackupReconciler) start(ctx context.Context, b *zkv1.ZKBackup) error {
	zke := &zkv1.ZKEnsemble{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Spec.Ensemble}, zke); apierrors.IsNotFound(err) {
		return &waitError{"EnsembleNotFound", fmt.Sprintf("ZKEnsemble %s does not exist in namespace %s: fix spec.ensemble", b.Spec.Ensemble, b.Namespace)}
	} else if err != nil {
		return err
	}
	return r.startFor(ctx, b, zke)
}

// startFor starts the backup of zke, as read.
func (r *BackupReconciler) startFor(ctx context.Context, b *zkv1.ZKBackup, zke *zkv1.ZKEnsemble) error {
	if err := r.checkDestination(ctx, b); err != nil {
		return err
	}
	id := backupMember(&zke.Status)
	if id == 0 {
		return &waitError{"NoCaughtUpMember", fmt.Sprintf("no member of %s is caught up (no leader, or none answers)", zke.Name)}
	}
	rd := newRender(zke, r.ServerImage, clusterDomainOr(r.ClusterDomain))
	if err := r.ensureIdentity(ctx, b, zke); err != nil {
		return err
	}
	if err := r.Create(ctx, backupJob(b, rd, id)); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Job %s: %w", b.Name, err)
	}
	now := metav1.Now()
	b.Status.Phase, b.Status.Member, b.Status.StartTime = zkv1.BackupRunning, int32(id), &now
	setBackupCondition(b, "Ready", metav1.ConditionFalse, "Running", fmt.Sprintf("Job %s backs up member %d (%s)", b.Name, id, rd.n.pod(id)))
	r.Recorder.Eventf(b, zke, corev1.EventTypeNormal, "BackupStarted", "Backup", "Job %s backs up member %d", b.Name, id)
	return nil
}

// checkDestination finds the credentials Secret (with both keys) or the
// destination's volume.
func (r *BackupReconciler) checkDestination(ctx context.Context, b *zkv1.ZKBackup) error {
	d := b.Spec.Destination
	if d.PVC != nil {
		pvc := &corev1.PersistentVolumeClaim{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: d.PVC.ClaimName}, pvc); apierrors.IsNotFound(err) {
			return &waitError{"VolumeNotFound", fmt.Sprintf("PersistentVolumeClaim %s does not exist: create it or fix spec.destination.pvc.claimName", d.PVC.ClaimName)}
		} else if err != nil {
			return err
		}
		return nil
	}
	name := d.S3.CredentialsSecret.Name
	s := &corev1.Secret{}
	key := types.NamespacedName{Namespace: b.Namespace, Name: name}
	reader := client.Reader(r.Client)
	if r.APIReader != nil {
		reader = r.APIReader
	}
	if err := reader.Get(ctx, key, s); apierrors.IsNotFound(err) {
		return &waitError{"CredentialsNotFound", fmt.Sprintf("Secret %s (spec.destination.s3.credentialsSecret) does not exist: create it with keys %s and %s", name, zkv1.AccessKeyIDKey, zkv1.SecretAccessKeyKey)}
	} else if err != nil {
		return err
	}
	for _, k := range []string{zkv1.AccessKeyIDKey, zkv1.SecretAccessKeyKey} {
		if len(s.Data[k]) == 0 {
			return &failError{"CredentialsInvalid", fmt.Sprintf("Secret %s has no key %s: it needs %s and %s", name, k, zkv1.AccessKeyIDKey, zkv1.SecretAccessKeyKey)}
		}
	}
	return nil
}

// ensureIdentity writes the Secret with the backup's own certificate,
// zkensemble://<ensemble>/backup, issued by the ensemble's CA: the Job
// never holds the operator's identity or the CA's key.
func (r *BackupReconciler) ensureIdentity(ctx context.Context, b *zkv1.ZKBackup, zke *zkv1.ZKEnsemble) error {
	caSecret := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: podlayout.CASecret(zke.Name)}, caSecret); apierrors.IsNotFound(err) {
		return &waitError{"CANotFound", fmt.Sprintf("the ensemble's CA (Secret %s) does not exist yet", podlayout.CASecret(zke.Name))}
	} else if err != nil {
		return err
	}
	ca, err := certs.LoadCA(caSecret.Data[podlayout.CACertKey], caSecret.Data[podlayout.CAKeyKey])
	if err != nil {
		return &failError{"CASecretInvalid", fmt.Sprintf("Secret %s holds no usable CA: %v", podlayout.CASecret(zke.Name), err)}
	}
	leaf, err := ca.Issue(certs.Backup(string(zke.UID)), nil, nil, backupCertValidity)
	if err != nil {
		return err
	}
	labels := map[string]string{"app.kubernetes.io/managed-by": "zkensemble-operator", backupLabel: b.Name}
	s := &corev1.Secret{ObjectMeta: backupOwned(b, backupIdentitySecret(b), labels), Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: leaf.CertPEM, corev1.TLSPrivateKeyKey: leaf.KeyPEM, "ca.crt": ca.CertPEM}}
	if err := r.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Secret %s: %w", s.Name, err)
	}
	return nil
}

// follow reports a running Job, and its result once it ends.
func (r *BackupReconciler) follow(ctx context.Context, b *zkv1.ZKBackup, job *batchv1.Job) error {
	done, failed := jobFinished(job)
	if !done {
		b.Status.Phase = zkv1.BackupRunning
		return nil
	}
	msg, err := r.terminationMessage(ctx, job)
	if err != nil {
		return err
	}
	if failed {
		if msg == "" {
			msg = "the backup Job failed without a message: " + jobFailure(job)
		}
		r.finish(b, zkv1.BackupFailed, "BackupFailed", msg)
		r.Recorder.Eventf(b, nil, corev1.EventTypeWarning, "BackupFailed", "Backup", "%s", msg)
		return nil
	}
	res, err := parseBackupResult(msg)
	if err != nil {
		r.finish(b, zkv1.BackupFailed, "NoResult", err.Error())
		return nil
	}
	b.Status.Location, b.Status.Zxid, b.Status.Size, b.Status.SHA256, b.Status.Pruned = res.Location, res.Zxid, res.Size, res.SHA256, res.Pruned
	if t, err := time.Parse(time.RFC3339Nano, res.Started); err == nil {
		b.Status.StartTime = &metav1.Time{Time: t}
	}
	r.finish(b, zkv1.BackupSucceeded, "Completed", fmt.Sprintf("backed up to %s at zxid %s (%d bytes)", res.Location, res.Zxid, res.Size))
	if t, err := time.Parse(time.RFC3339Nano, res.Completed); err == nil {
		b.Status.CompletionTime = &metav1.Time{Time: t}
	}
	r.Recorder.Eventf(b, nil, corev1.EventTypeNormal, "BackupSucceeded", "Backup", "%s at zxid %s", res.Location, res.Zxid)
	return nil
}

// finish ends the backup in phase with a condition saying why.
func (r *BackupReconciler) finish(b *zkv1.ZKBackup, phase, reason, msg string) {
	now := metav1.Now()
	b.Status.Phase, b.Status.CompletionTime = phase, &now
	status := metav1.ConditionTrue
	if phase == zkv1.BackupFailed {
		status = metav1.ConditionFalse
	}
	setBackupCondition(b, "Ready", status, reason, msg)
}

func setBackupCondition(b *zkv1.ZKBackup, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: b.Generation})
}

// jobFinished reports whether the Job has ended, and whether it failed.
func jobFinished(job *batchv1.Job) (done, failed bool) {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, false
		case batchv1.JobFailed:
			return true, true
		}
	}
	return false, false
}

func jobFailure(job *batchv1.Job) string {
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed {
			return c.Reason + ": " + c.Message
		}
	}
	return "unknown"
}

// terminationMessage is the newest backup pod's termination message.
func (r *BackupReconciler) terminationMessage(ctx context.Context, job *batchv1.Job) (string, error) {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingLabels{backupLabel: job.Name}); err != nil {
		return "", err
	}
	var msg string
	var newest time.Time
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && !t.FinishedAt.Time.Before(newest) {
				msg, newest = t.Message, t.FinishedAt.Time
			}
		}
	}
	return msg, nil
}

func clusterDomainOr(d string) string {
	if d == "" {
		return defaultClusterDomain
	}
	return d
}

// SetupWithManager registers the backup controller: ZKBackups and their Jobs.
func (r *BackupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&zkv1.ZKBackup{}).
		Owns(&batchv1.Job{}).
		Named("zkbackup").
		Complete(r)
}
