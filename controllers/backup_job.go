package controllers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// What a backup Job runs with.
const (
	// backupPodName is app.kubernetes.io/name of backup pods: the members'
	// NetworkPolicy admits them (with their ensemble's instance label) to the
	// admin port, where the member still asks for the backup certificate.
	backupPodName = "zkensemble-backup"
	// backupLabel on a backup's Job, pods and Secret names the ZKBackup.
	backupLabel = "zookeeper.zkensemble.io/backup"
	// backupTLSDir holds the backup identity Secret in the Job's pod.
	backupTLSDir = "/etc/zkensemble/backup-tls"
	// backupMount is where a PVC destination is mounted, in backup Jobs and
	// in the seed member's restore: a file:// location names a path under it.
	backupMount = "/backup"
	// backupDeadline bounds a backup Job; its certificate outlives it a little.
	backupDeadline     = 15 * time.Minute
	backupCertValidity = backupDeadline + 15*time.Minute
	// backupJobTTL is how long a finished Job (and its pod's logs) stays.
	backupJobTTL = time.Hour
)

// backupIdentitySecret is the Secret with a backup Job's certificate.
func backupIdentitySecret(b *zkv1.ZKBackup) string { return b.Name + "-backup-identity" }

// parseBackupResult reads a successful Job's termination message.
func parseBackupResult(msg string) (podlayout.BackupResult, error) {
	var res podlayout.BackupResult
	line := strings.TrimSpace(msg)
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return res, fmt.Errorf("the backup Job reported %q, not its result", msg)
	}
	if res.Location == "" || res.Zxid == "" {
		return res, fmt.Errorf("the backup Job's result %q names no location or zxid", line)
	}
	return res, nil
}

// destinationURL is what `backup --to` takes for a destination: an s3://
// URL (endpoint, region and path style in its query, credentials in the
// environment) or file:// under backupMount.
func destinationURL(d zkv1.BackupDestination) string {
	if d.PVC != nil {
		return "file://" + backupMount
	}
	s3 := d.S3
	q := url.Values{}
	if s3.Endpoint != "" {
		q.Set("endpoint", strings.TrimSuffix(s3.Endpoint, "/"))
	}
	if s3.Region != "" {
		q.Set("region", s3.Region)
	}
	if s3.ForcePathStyle {
		q.Set("use_path_style", "true")
	}
	u := url.URL{Scheme: "s3", Host: s3.Bucket, Path: "/" + strings.Trim(s3.Prefix, "/"), RawQuery: q.Encode()}
	if u.Path == "/" {
		u.Path = ""
	}
	return u.String()
}

// restoreLocation is a backup's location as restore takes it: the printed
// location, with the destination's endpoint settings when it has none.
func restoreLocation(loc string, d zkv1.BackupDestination) string {
	if d.S3 == nil || strings.Contains(loc, "?") {
		return loc
	}
	if dest, err := url.Parse(destinationURL(d)); err == nil && dest.RawQuery != "" {
		return loc + "?" + dest.RawQuery
	}
	return loc
}

// credentialsEnv passes an S3 credentials Secret as the AWS SDK's variables.
func credentialsEnv(secret string) []corev1.EnvVar {
	ref := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}
	}
	return []corev1.EnvVar{
		{Name: "AWS_ACCESS_KEY_ID", ValueFrom: ref(zkv1.AccessKeyIDKey)},
		{Name: "AWS_SECRET_ACCESS_KEY", ValueFrom: ref(zkv1.SecretAccessKeyKey)},
	}
}

// pvcVolume mounts a PVCSource at dir.
func pvcVolume(name string, src *zkv1.PVCSource, dir string, readOnly bool) (corev1.Volume, corev1.VolumeMount) {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: src.ClaimName, ReadOnly: readOnly}}},
		corev1.VolumeMount{Name: name, MountPath: dir, SubPath: path.Clean("./" + src.SubPath), ReadOnly: readOnly}
}

// restrictedContainer is Pod Security "restricted" for one container.
func restrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true), RunAsNonRoot: ptr.To(true),
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// backupJob runs `zkensemble-server backup` against member id of the
// ensemble rendered by rd, as the backup identity in its Secret.
func backupJob(b *zkv1.ZKBackup, rd render, id uint64) *batchv1.Job {
	labels := map[string]string{
		"app.kubernetes.io/name": backupPodName, "app.kubernetes.io/instance": rd.zke.Name,
		"app.kubernetes.io/managed-by": "zkensemble-operator", backupLabel: b.Name,
	}
	args := []string{"backup",
		"--admin-url", fmt.Sprintf("https://%s:%d", rd.n.host(id), podlayout.AdminPort),
		"--to", destinationURL(b.Spec.Destination),
		"--tls-cert", backupTLSDir + "/tls.crt", "--tls-key", backupTLSDir + "/tls.key", "--tls-ca", backupTLSDir + "/ca.crt",
		"--ensemble-id", string(rd.zke.UID),
	}
	if r := b.Spec.Retention; r != nil {
		if r.KeepLast != nil {
			args = append(args, "--keep-last", fmt.Sprint(*r.KeepLast))
		}
		if r.KeepWithin != "" {
			args = append(args, "--keep-within", r.KeepWithin)
		}
	}
	container := corev1.Container{
		Name: "backup", Image: rd.image(), ImagePullPolicy: rd.pullPolicy(), Args: args,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		VolumeMounts:             []corev1.VolumeMount{{Name: "identity", MountPath: backupTLSDir, ReadOnly: true}},
		SecurityContext:          restrictedContainer(),
	}
	volumes := []corev1.Volume{{Name: "identity", VolumeSource: corev1.VolumeSource{
		Secret: &corev1.SecretVolumeSource{SecretName: backupIdentitySecret(b), DefaultMode: ptr.To(int32(0o440))},
	}}}
	if d := b.Spec.Destination; d.S3 != nil {
		container.Env = credentialsEnv(d.S3.CredentialsSecret.Name)
	} else {
		v, m := pvcVolume("destination", d.PVC, backupMount, false)
		volumes, container.VolumeMounts = append(volumes, v), append(container.VolumeMounts, m)
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: backupOwned(b, b.Name, labels),
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To(int32(1)),
			ActiveDeadlineSeconds:   ptr.To(int64(backupDeadline / time.Second)),
			TTLSecondsAfterFinished: ptr.To(int32(backupJobTTL / time.Second)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr.To(false),
					Containers:                   []corev1.Container{container},
					Volumes:                      volumes,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsUser: ptr.To(int64(65532)), RunAsGroup: ptr.To(int64(65532)), FSGroup: ptr.To(int64(65532)),
						RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					NodeSelector: rd.zke.Spec.NodeSelector, Tolerations: rd.zke.Spec.Tolerations,
				},
			},
		},
	}
}

// backupOwned is the metadata of an object a ZKBackup owns.
func backupOwned(b *zkv1.ZKBackup, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: b.Namespace, Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: zkv1.GroupVersion.String(), Kind: "ZKBackup", Name: b.Name, UID: b.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}},
	}
}

// backupMember picks the member to back up from the ensemble's last
// observed status (the reconciler's one observation per pass): a follower
// with no lag, else the leader; 0 when none is caught up.
func backupMember(st *zkv1.ZKEnsembleStatus) uint64 {
	var leader uint64
	for _, m := range st.Members {
		switch {
		case m.Role == "follower" && m.Lag == 0 && m.Zxid != "":
			return uint64(m.ID)
		case m.Role == "leader":
			leader = uint64(m.ID)
		}
	}
	return leader
}
