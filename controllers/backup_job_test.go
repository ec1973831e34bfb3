package controllers

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

func testBackup(dest zkv1.BackupDestination) (*zkv1.ZKBackup, render) {
	zke := newZKE("ns", "zk", func(z *zkv1.ZKEnsemble) { z.UID = "uid-1" })
	b := &zkv1.ZKBackup{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "zk-1", UID: "b-uid"},
		Spec: zkv1.ZKBackupSpec{Ensemble: "zk", Destination: dest, Retention: &zkv1.BackupRetention{KeepLast: ptr.To(int32(2)), KeepWithin: "1h"}}}
	return b, newRender(zke, "server:test", "cluster.local")
}

func s3Destination() zkv1.BackupDestination {
	return zkv1.BackupDestination{S3: &zkv1.S3Destination{Bucket: "bkt", Prefix: "zk/prod/", Endpoint: "http://store.s3:8333/", Region: "us-east-1",
		ForcePathStyle: true, CredentialsSecret: zkv1.SecretRef{Name: "creds"}}}
}

func TestDestinationURL(t *testing.T) {
	tests := []struct {
		name string
		d    zkv1.BackupDestination
		want string
	}{
		{"s3 with endpoint", s3Destination(), "s3://bkt/zk/prod?endpoint=http%3A%2F%2Fstore.s3%3A8333&region=us-east-1&use_path_style=true"},
		{"s3 bare", zkv1.BackupDestination{S3: &zkv1.S3Destination{Bucket: "bkt"}}, "s3://bkt"},
		{"pvc", zkv1.BackupDestination{PVC: &zkv1.PVCSource{ClaimName: "c", SubPath: "x"}}, "file:///backup"},
	}
	for _, tc := range tests {
		if got := destinationURL(tc.d); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := restoreLocation("s3://bkt/zk/prod/b1.tar", s3Destination()); !strings.HasPrefix(got, "s3://bkt/zk/prod/b1.tar?endpoint=") {
		t.Errorf("restore location %s: want the destination's endpoint added", got)
	}
	if got := restoreLocation("s3://bkt/b1?endpoint=x", s3Destination()); got != "s3://bkt/b1?endpoint=x" {
		t.Errorf("restore location %s: a location with its own query stays", got)
	}
}

// The backup Job runs restricted, with its own identity, the credentials
// as the SDK's variables, and bounded in time and retries.
func TestBackupJob(t *testing.T) {
	b, rd := testBackup(s3Destination())
	job := backupJob(b, rd, 2)
	spec := job.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("containers %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, want := range []string{
		"backup --admin-url https://zk-1.zk-peers.ns.svc.cluster.local:8080 ",
		"--tls-cert " + backupTLSDir + "/tls.crt", "--ensemble-id uid-1", "--keep-last 2", "--keep-within 1h",
		"--to s3://bkt/zk/prod?",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	sc := c.SecurityContext
	if !*sc.RunAsNonRoot || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container security %+v: want Pod Security restricted", sc)
	}
	if *spec.AutomountServiceAccountToken || spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("the Job's pod must not mount a service account token, and must not restart in place")
	}
	if *job.Spec.BackoffLimit > 2 || job.Spec.ActiveDeadlineSeconds == nil || job.Spec.TTLSecondsAfterFinished == nil {
		t.Errorf("job bounds: backoff %d, deadline %v, ttl %v", *job.Spec.BackoffLimit, job.Spec.ActiveDeadlineSeconds, job.Spec.TTLSecondsAfterFinished)
	}
	if len(c.Env) != 2 || c.Env[0].ValueFrom.SecretKeyRef.Name != "creds" || c.Env[1].ValueFrom.SecretKeyRef.Key != zkv1.SecretAccessKeyKey {
		t.Errorf("env %+v: want the credentials Secret's keys", c.Env)
	}
	if v := spec.Volumes[0].Secret; v == nil || v.SecretName != "zk-1-backup-identity" {
		t.Errorf("volumes %+v: want the backup identity Secret", spec.Volumes)
	}
	if job.OwnerReferences[0].Kind != "ZKBackup" || job.Spec.Template.Labels["app.kubernetes.io/name"] != backupPodName {
		t.Error("the Job is the ZKBackup's and its pods carry the label the NetworkPolicy admits")
	}

	b, rd = testBackup(zkv1.BackupDestination{PVC: &zkv1.PVCSource{ClaimName: "backups", SubPath: "zk"}})
	spec = backupJob(b, rd, 1).Spec.Template.Spec
	m := spec.Containers[0].VolumeMounts[1]
	if m.MountPath != backupMount || m.SubPath != "zk" || spec.Volumes[1].PersistentVolumeClaim.ClaimName != "backups" || len(spec.Containers[0].Env) != 0 {
		t.Errorf("pvc destination: mount %+v volumes %+v", m, spec.Volumes)
	}
}

func TestParseBackupResult(t *testing.T) {
	good := `{"name":"b1","location":"s3://bkt/b1","zxid":"0x100000005","size":1234,"sha256":"ab","started":"2026-12-07T06:00:00Z","completed":"2026-12-07T06:00:02Z","pruned":["b0"]}`
	res, err := parseBackupResult("uploading...\n" + good + "\n")
	if err != nil || res.Zxid != "0x100000005" || res.Size != 1234 || res.Pruned[0] != "b0" {
		t.Errorf("parse: %+v %v", res, err)
	}
	for _, bad := range []string{"", "bucket zk does not exist", `{"name":"b1"}`} {
		if _, err := parseBackupResult(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A follower with no lag is preferred; the leader otherwise; nobody when
// no leader is known.
func TestBackupMember(t *testing.T) {
	tests := []struct {
		name    string
		members []zkv1.MemberStatus
		want    uint64
	}{
		{"caught-up follower", []zkv1.MemberStatus{{ID: 1, Role: "leader", Zxid: "0x5"}, {ID: 2, Role: "follower", Lag: 3, Zxid: "0x2"}, {ID: 3, Role: "follower", Zxid: "0x5"}}, 3},
		{"lagging followers: the leader", []zkv1.MemberStatus{{ID: 1, Role: "follower", Lag: 1, Zxid: "0x4"}, {ID: 2, Role: "leader", Zxid: "0x5"}}, 2},
		{"follower not answering", []zkv1.MemberStatus{{ID: 1, Role: "follower"}, {ID: 2, Role: "leader", Zxid: "0x5"}}, 2},
		{"no leader", nil, 0},
	}
	for _, tc := range tests {
		if got := backupMember(&zkv1.ZKEnsembleStatus{Members: tc.members}); got != tc.want {
			t.Errorf("%s: member %d, want %d", tc.name, got, tc.want)
		}
	}
}
