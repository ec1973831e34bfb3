package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/certs"
)

// envtestPendingTimeout is how long a backup waits under envtest.
const envtestPendingTimeout = 3 * time.Second

func newBackupReconciler(mgr ctrl.Manager) *BackupReconciler {
	return &BackupReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("zkensemble-operator"),
		ServerImage: "zkensemble/server:test", PendingTimeout: envtestPendingTimeout}
}

func newZKBackup(ns, name, ensemble string, dest zkv1.BackupDestination) *zkv1.ZKBackup {
	return &zkv1.ZKBackup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: zkv1.ZKBackupSpec{Ensemble: ensemble, Destination: dest}}
}

func credsSecret(ns, name string, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

// backupCondition waits until the backup is in phase with a Ready
// condition of reason, and returns it.
func backupCondition(t *testing.T, key types.NamespacedName, phase, reason string) *metav1.Condition {
	t.Helper()
	var got *metav1.Condition
	eventually(t, 20*time.Second, func() error {
		b := &zkv1.ZKBackup{}
		if err := testEnv.client.Get(context.Background(), key, b); err != nil {
			return err
		}
		got = meta.FindStatusCondition(b.Status.Conditions, "Ready")
		if b.Status.Phase != phase || got == nil || got.Reason != reason {
			return fmt.Errorf("phase %q, condition %+v; want %s/%s", b.Status.Phase, got, phase, reason)
		}
		return nil
	})
	return got
}

// A backup whose ensemble or credentials are missing waits, saying why,
// then fails with the same reason; credentials without their keys fail at
// once; none of it is retried in a loop.
func TestBackupWaitsThenFails(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	if err := c.Create(ctx, newZKBackup(ns, "orphan", "nope", s3Destination())); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: "orphan"}
	if cond := backupCondition(t, key, zkv1.BackupPending, "EnsembleNotFound"); !strings.Contains(cond.Message, "ZKEnsemble nope does not exist") {
		t.Errorf("pending message %q", cond.Message)
	}
	if cond := backupCondition(t, key, zkv1.BackupFailed, "EnsembleNotFound"); !strings.Contains(cond.Message, "fix spec.ensemble") {
		t.Errorf("failed message %q", cond.Message)
	}

	if err := c.Create(ctx, newZKE(ns, "zk")); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, newZKBackup(ns, "nocreds", "zk", s3Destination())); err != nil {
		t.Fatal(err)
	}
	backupCondition(t, types.NamespacedName{Namespace: ns, Name: "nocreds"}, zkv1.BackupPending, "CredentialsNotFound")
	cond := backupCondition(t, types.NamespacedName{Namespace: ns, Name: "nocreds"}, zkv1.BackupFailed, "CredentialsNotFound")
	if !strings.Contains(cond.Message, "create it with keys accessKeyId and secretAccessKey") {
		t.Errorf("message %q", cond.Message)
	}

	if err := c.Create(ctx, credsSecret(ns, "creds", map[string][]byte{"accessKeyId": []byte("a")})); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, newZKBackup(ns, "halfcreds", "zk", s3Destination())); err != nil {
		t.Fatal(err)
	}
	cond = backupCondition(t, types.NamespacedName{Namespace: ns, Name: "halfcreds"}, zkv1.BackupFailed, "CredentialsInvalid")
	if !strings.Contains(cond.Message, "has no key secretAccessKey") {
		t.Errorf("message %q", cond.Message)
	}
}

// A backup runs as one Job with its own certificate (the backup identity,
// chained to the ensemble's CA, not the operator's), against a caught-up
// follower; its status comes from the Job pod's termination message.
func TestBackupJobLifecycle(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "zk")
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, credsSecret(ns, "creds", map[string][]byte{"accessKeyId": []byte("a"), "secretAccessKey": []byte("s")})); err != nil {
		t.Fatal(err)
	}
	b := newZKBackup(ns, "b1", "zk", s3Destination())
	if err := c.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Wait for the ensemble's CA, then start the backup from an observed
	// status (no members run under envtest).
	eventually(t, 20*time.Second, func() error { return c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zk-ca"}, &corev1.Secret{}) })
	if err := c.Get(ctx, client.ObjectKeyFromObject(zke), zke); err != nil {
		t.Fatal(err)
	}
	zke.Status.Members = []zkv1.MemberStatus{{ID: 1, Role: "leader", Zxid: "0x9"}, {ID: 2, Role: "follower", Zxid: "0x9"}, {ID: 3, Role: "follower", Lag: 4, Zxid: "0x5"}}
	r := &BackupReconciler{Client: c, Recorder: eventsFor(t), ServerImage: "zkensemble/server:test"}
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
		t.Fatal(err)
	}
	if err := r.startFor(ctx, b, zke); err != nil {
		t.Fatal(err)
	}
	if b.Status.Member != 2 || b.Status.Phase != zkv1.BackupRunning {
		t.Errorf("started on member %d, phase %s; want the caught-up follower 2", b.Status.Member, b.Status.Phase)
	}
	job := &batchv1.Job{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), job); err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "https://zk-1.zk-peers."+ns+".svc.cluster.local:8080") {
		t.Errorf("args %s: want member 2's admin URL", args)
	}
	id := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "b1-backup-identity"}, id); err != nil {
		t.Fatal(err)
	}
	leaf, err := certs.ParseCertificates(id.Data["tls.crt"])
	if err != nil || len(leaf) == 0 || len(leaf[0].URIs) != 1 || leaf[0].URIs[0].String() != "zkensemble://"+string(zke.UID)+"/backup" {
		t.Fatalf("backup certificate %v %v: want the backup identity only", leaf, err)
	}
	if _, ok := id.Data["ca.key"]; ok {
		t.Error("the Job's Secret holds the CA's key")
	}

	// The Job's pod ends with its result in the termination message.
	result := `{"name":"b1","location":"s3://bkt/zk/prod/b1","zxid":"0x9","size":4096,"sha256":"abc","started":"2026-12-07T06:00:00Z","completed":"2026-12-07T06:00:03Z","pruned":["b0"]}`
	finishJob(t, job, 0, result)
	backupCondition(t, client.ObjectKeyFromObject(b), zkv1.BackupSucceeded, "Completed")
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
		t.Fatal(err)
	}
	if s := b.Status; s.Location != "s3://bkt/zk/prod/b1" || s.Zxid != "0x9" || s.Size != 4096 || s.SHA256 != "abc" || len(s.Pruned) != 1 || s.CompletionTime == nil {
		t.Errorf("status %+v", s)
	}
}

// A failed Job's one-line reason is the backup's condition.
func TestBackupJobFails(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "zk")
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	b := newZKBackup(ns, "b2", "zk", zkv1.BackupDestination{PVC: &zkv1.PVCSource{ClaimName: "store"}})
	if err := c.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	backupCondition(t, client.ObjectKeyFromObject(b), zkv1.BackupPending, "VolumeNotFound")
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "store"}, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
	if err := c.Create(ctx, pvc); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error { return c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zk-ca"}, &corev1.Secret{}) })
	if err := c.Get(ctx, client.ObjectKeyFromObject(zke), zke); err != nil {
		t.Fatal(err)
	}
	zke.Status.Members = []zkv1.MemberStatus{{ID: 1, Role: "leader", Zxid: "0x9"}}
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
		t.Fatal(err)
	}
	r := &BackupReconciler{Client: c, Recorder: eventsFor(t), ServerImage: "zkensemble/server:test"}
	if err := r.startFor(ctx, b, zke); err != nil {
		t.Fatal(err)
	}
	started := b.Status.DeepCopy()
	if err := updateStatusFresh(ctx, c, b, func() { b.Status = *started }); err != nil {
		t.Fatal(err)
	}
	job := &batchv1.Job{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), job); err != nil {
		t.Fatal(err)
	}
	finishJob(t, job, 1, "bucket \"zk\" does not exist: create it or fix spec.destination")
	cond := backupCondition(t, client.ObjectKeyFromObject(b), zkv1.BackupFailed, "BackupFailed")
	if !strings.Contains(cond.Message, "does not exist") {
		t.Errorf("message %q", cond.Message)
	}
}

// finishJob plays the Job controller and the kubelet: a pod of the Job
// ends with exit code and message, and the Job is marked finished.
func finishJob(t *testing.T, job *batchv1.Job, code int32, msg string) {
	t.Helper()
	ctx := context.Background()
	c := testEnv.client
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: job.Namespace, Name: job.Name + "-x", Labels: job.Spec.Template.Labels},
		Spec: *job.Spec.Template.Spec.DeepCopy()}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	pod.Status.Phase = corev1.PodSucceeded
	if code != 0 {
		pod.Status.Phase = corev1.PodFailed
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "backup", Image: "x", ImageID: "x",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg, StartedAt: now, FinishedAt: now}}}}
	if err := c.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	job.Status.StartTime = &now
	if code == 0 {
		job.Status.Succeeded = 1
		job.Status.CompletionTime = &now
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	} else {
		job.Status.Failed = 2
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", LastTransitionTime: now},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", LastTransitionTime: now}}
	}
	job.Status.Ready = ptr.To(int32(0))
	job.Status.Terminating = ptr.To(int32(0))
	if err := c.Status().Update(ctx, job); err != nil {
		t.Fatal(err)
	}
}

// eventsFor is a recorder to the envtest API server for the test's life.
func eventsFor(t *testing.T) events.EventRecorder {
	bc := events.NewBroadcaster(&events.EventSinkImpl{Interface: kubernetes.NewForConfigOrDie(testEnv.cfg).EventsV1()})
	stop := make(chan struct{})
	bc.StartRecordingToSink(stop)
	t.Cleanup(func() { close(stop); bc.Shutdown() })
	return bc.NewRecorder(testEnv.scheme, "zkensemble-test")
}
