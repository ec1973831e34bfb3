package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// spec.bootstrap: the seed member's pod (member 1, the one the operator
// starts alone) runs `zkensemble-server restore` or `import` into its data
// volume in an init container, before the server starts on it. It acts only
// while the configuration's bootstrap file is not empty (the ensemble has
// never published a server list: it has never served) and the volume is
// empty; afterwards the container does nothing, so a lost volume joins the
// live ensemble as usual and nothing is ever restored over live data.

// CondBootstrapped says what spec.bootstrap did: True once restored.
const CondBootstrapped = "Bootstrapped"

// Bootstrap phases (status.bootstrap.phase).
const (
	BootstrapPending   = "Pending"
	BootstrapRestoring = "Restoring"
	BootstrapRestored  = "Restored"
	BootstrapFailed    = "Failed"
)

const (
	bootstrapContainer = "bootstrap"
	// zookeeperMount is where fromZooKeeper's volume is mounted, read-only.
	zookeeperMount = "/zookeeper"
	// Termination messages of the init container when it does nothing.
	skipNotSeed      = "skipped: not the seed member"
	skipBootstrapped = "skipped: the ensemble has served already"
	skipNotEmpty     = "skipped: the data volume is not empty"
)

// bootstrapScript runs "$@" (restore or import) only on the seed member,
// before the ensemble first served, into an empty data volume. What it is
// given (the location) is in its arguments, never in the script. With
// MOVE_FROM set (import, which writes a new directory and renames it into
// place: the volume's mount point cannot be renamed onto), what the command
// wrote there is moved up into the volume. Its output is the termination
// message (restore's JSON result, import's summary). LOG_DIR, when set, is
// the member's own log volume (spec.storage.dataLog): it must be empty too,
// and the command writes the WAL there.
const bootstrapScript = `set -e
say() { echo "$1"; echo "$1" > /dev/termination-log; }
if [ "$POD_NAME" != "$SEED_POD" ]; then say "` + skipNotSeed + `"; exit 0; fi
if [ ! -s ` + podlayout.ConfigDir + "/" + podlayout.BootstrapFile + ` ]; then say "` + skipBootstrapped + `"; exit 0; fi
for d in ` + podlayout.DataDir + ` $LOG_DIR; do if [ -n "$(ls -A "$d")" ]; then say "` + skipNotEmpty + `"; exit 0; fi; done
out=$("$@")
if [ -n "$MOVE_FROM" ]; then
  for f in "$MOVE_FROM"/* "$MOVE_FROM"/.[!.]*; do if [ -e "$f" ]; then mv "$f" ` + podlayout.DataDir + `/; fi; done
  rmdir "$MOVE_FROM"
fi
say "$out"`

// resolveBootstrap fixes, once, what the seed member restores from (into
// status.bootstrap, so a ZKBackup deleted later changes nothing); stop is
// true while the source is not ready: the members are not created yet.
func (p *pass) resolveBootstrap(ctx context.Context) (ctrl.Result, bool) {
	if p.zke.Spec.Bootstrap == nil {
		return ctrl.Result{}, false
	}
	if st := p.zke.Status.Bootstrap; st != nil && st.Mode != "" {
		p.rd.boot = st
		return ctrl.Result{}, false
	}
	src, wait, err := p.bootstrapSource(ctx)
	if err != nil {
		wait = err.Error()
	}
	if wait != "" {
		p.setBootstrap(&zkv1.BootstrapStatus{Phase: BootstrapPending, Message: wait})
		return ctrl.Result{RequeueAfter: 5 * time.Second}, true
	}
	src.Phase, src.Message = BootstrapPending, fmt.Sprintf("the seed member (%s) will %s when it first starts", p.n.pod(1), describeSource(src))
	p.setBootstrap(src)
	p.rd.boot = p.zke.Status.Bootstrap
	return ctrl.Result{}, false
}

// bootstrapSource resolves spec.bootstrap; wait says why it cannot yet.
func (p *pass) bootstrapSource(ctx context.Context) (src *zkv1.BootstrapStatus, wait string, err error) {
	b := p.zke.Spec.Bootstrap
	switch {
	case b.FromZooKeeper != nil && b.FromZooKeeper.Location != "":
		src := &zkv1.BootstrapStatus{Mode: "import", Location: b.FromZooKeeper.Location}
		if c := b.FromZooKeeper.CredentialsSecret; c != nil {
			src.CredentialsSecret = c.Name
		}
		return src, "", nil
	case b.FromZooKeeper != nil:
		pvc := *b.FromZooKeeper.PVC
		if err := p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: pvc.ClaimName}, &corev1.PersistentVolumeClaim{}); apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("PersistentVolumeClaim %s (spec.bootstrap.fromZooKeeper.pvc) does not exist: create it", pvc.ClaimName), nil
		} else if err != nil {
			return nil, "", err
		}
		return &zkv1.BootstrapStatus{Mode: "import", PVC: &pvc}, "", nil
	case b.FromBackup.Location != "":
		fb := b.FromBackup
		src := &zkv1.BootstrapStatus{Mode: "restore", Location: fb.Location, PVC: fb.PVC}
		if fb.CredentialsSecret != nil {
			src.CredentialsSecret = fb.CredentialsSecret.Name
		}
		return src, "", nil
	}
	name := b.FromBackup.BackupName
	zkb := &zkv1.ZKBackup{}
	if err := p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: name}, zkb); apierrors.IsNotFound(err) {
		return nil, fmt.Sprintf("ZKBackup %s (spec.bootstrap.fromBackup.backupName) does not exist in namespace %s", name, p.zke.Namespace), nil
	} else if err != nil {
		return nil, "", err
	}
	switch zkb.Status.Phase {
	case zkv1.BackupSucceeded:
	case zkv1.BackupFailed:
		return nil, fmt.Sprintf("ZKBackup %s failed: delete this ZKEnsemble and create it again naming a Succeeded backup", name), nil
	default:
		return nil, fmt.Sprintf("ZKBackup %s is not complete yet (phase %q)", name, zkb.Status.Phase), nil
	}
	d := zkb.Spec.Destination
	src = &zkv1.BootstrapStatus{Mode: "restore", Location: restoreLocation(zkb.Status.Location, d), PVC: d.PVC}
	if d.S3 != nil {
		src.CredentialsSecret = d.S3.CredentialsSecret.Name
	}
	return src, "", nil
}

func describeSource(s *zkv1.BootstrapStatus) string {
	if s.Mode == "import" && s.PVC == nil {
		return "import the ZooKeeper data directory archived at " + s.Location
	}
	if s.Mode == "import" {
		return fmt.Sprintf("import the ZooKeeper data directory on PersistentVolumeClaim %s", s.PVC.ClaimName)
	}
	return "restore the backup " + s.Location
}

// setBootstrap records st and its condition.
func (p *pass) setBootstrap(st *zkv1.BootstrapStatus) {
	p.zke.Status.Bootstrap = st
	status := metav1.ConditionFalse
	if st.Phase == BootstrapRestored {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&p.zke.Status.Conditions, metav1.Condition{Type: CondBootstrapped, Status: status,
		Reason: st.Phase, Message: st.Message, ObservedGeneration: p.zke.Generation})
}

// reportBootstrap follows the seed member's init container until the
// bootstrap is Restored, which it stays.
func (p *pass) reportBootstrap() {
	st := p.zke.Status.Bootstrap
	pod := p.pods[1]
	if st == nil || st.Mode == "" || st.Phase == BootstrapRestored || pod == nil {
		return
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == bootstrapContainer {
			if next := bootstrapProgress(st, cs, p.n.pod(1)); next != nil {
				p.setBootstrap(next)
			}
		}
	}
}

// bootstrapProgress is the status the init container's state shows; nil:
// no change.
func bootstrapProgress(st *zkv1.BootstrapStatus, cs corev1.ContainerStatus, pod string) *zkv1.BootstrapStatus {
	next := st.DeepCopy()
	term := cs.State.Terminated
	switch {
	case cs.State.Running != nil:
		next.Phase, next.Message = BootstrapRestoring, fmt.Sprintf("%s: the seed member's init container runs to %s", pod, describeSource(st))
	case term != nil && term.ExitCode == 0 && strings.HasPrefix(term.Message, skipNotEmpty) && st.Phase != BootstrapRestoring:
		next.Phase, next.Message = BootstrapFailed, fmt.Sprintf("%s: its data volume was not empty before the restore, so nothing was restored over it: delete this ZKEnsemble and the PersistentVolumeClaim data-%s, then create it again", pod, pod)
	case term != nil && term.ExitCode == 0 && strings.HasPrefix(term.Message, skipBootstrapped) && st.Phase != BootstrapRestoring:
		// Not seen restoring, and the ensemble served already: its seed
		// member did not start from the source (or we missed it); say so
		// rather than claim a restore.
		next.Phase, next.Message = BootstrapFailed, fmt.Sprintf("%s: the ensemble served before a %s was seen, so nothing is restored over it: check its data, or delete this ZKEnsemble (and its volumes) and create it again", pod, st.Mode)
	case term != nil && term.ExitCode == 0:
		now := metav1.Now()
		next.Phase, next.CompletionTime = BootstrapRestored, &now
		next.Zxid = resultZxid(term.Message)
		next.Message = fmt.Sprintf("%s: %s done", pod, st.Mode)
		if next.Zxid != "" {
			next.Message += " at zxid " + next.Zxid
		}
	case term != nil:
		next.Phase, next.Message = BootstrapFailed, fmt.Sprintf("%s: %s failed (exit %d): %s", pod, st.Mode, term.ExitCode, strings.TrimSpace(term.Message))
	case cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode != 0:
		last := cs.LastTerminationState.Terminated
		next.Phase, next.Message = BootstrapFailed, fmt.Sprintf("%s: %s failed (exit %d), retried by the kubelet: %s", pod, st.Mode, last.ExitCode, strings.TrimSpace(last.Message))
	default:
		return nil
	}
	if next.Phase == st.Phase && next.Message == st.Message {
		return nil
	}
	return next
}

// summaryZxid finds the zxid in import's summary ("... at zxid 0x1f ...").
var summaryZxid = regexp.MustCompile(`\bzxid (0x[0-9a-f]+)\b`)

// resultZxid is the zxid in restore's JSON result line or import's
// summary, if any.
func resultZxid(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		var r struct {
			Zxid string `json:"zxid"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(line)), &r) == nil && r.Zxid != "" {
			return r.Zxid
		}
		if m := summaryZxid.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}

// addBootstrap adds the bootstrap init container (and its source's volume)
// to the members' pod spec, once the source is resolved.
func (r render) addBootstrap(pod *corev1.PodSpec) {
	b := r.boot
	if b == nil || b.Mode == "" {
		return
	}
	uid := string(r.zke.UID)
	args := []string{"restore", "--from", b.Location, "--dataDir", podlayout.DataDir, "--ensemble-id", uid, "--member-id", "1"}
	c := corev1.Container{
		Name: bootstrapContainer, Image: r.image(), ImagePullPolicy: r.pullPolicy(),
		Env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "SEED_POD", Value: r.n.pod(1)},
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		VolumeMounts: []corev1.VolumeMount{
			{Name: "data", MountPath: podlayout.DataDir},
			{Name: "config", MountPath: podlayout.ConfigDir, ReadOnly: true},
			// restore spools the snapshot here while it checks it.
			{Name: "bootstrap-tmp", MountPath: "/tmp"},
		},
		SecurityContext: restrictedContainer(),
		Resources:       r.zke.Spec.Resources,
	}
	pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "bootstrap-tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	if b.CredentialsSecret != "" {
		c.Env = append(c.Env, credentialsEnv(b.CredentialsSecret)...)
	}
	if b.Mode == "import" {
		// import writes a new directory and renames it: into one inside the
		// volume, moved up by the script. Its source is the claim mounted
		// read-only, or the archive's location (fetched to /tmp).
		src, into := b.Location, podlayout.DataDir+"/.import"
		if b.PVC != nil {
			src = zookeeperMount
		}
		args = []string{"import", "--ensemble-id", uid, "--myid", "1", src, into}
		c.Env = append(c.Env, corev1.EnvVar{Name: "MOVE_FROM", Value: into})
	}
	if b.PVC != nil {
		dir := backupMount
		if b.Mode == "import" {
			dir = zookeeperMount
		}
		v, m := pvcVolume("bootstrap-source", b.PVC, dir, true)
		pod.Volumes, c.VolumeMounts = append(pod.Volumes, v), append(c.VolumeMounts, m)
	}
	if mounts := r.dataLogMounts(); len(mounts) > 0 {
		flag := "--dataLogDir"
		if b.Mode == "import" {
			flag = "--dst-log-dir"
		}
		args = append(args, flag, podlayout.DataLogDir)
		c.VolumeMounts = append(c.VolumeMounts, mounts...)
		c.Env = append(c.Env, corev1.EnvVar{Name: "LOG_DIR", Value: podlayout.DataLogDir})
	}
	c.Command = append([]string{"/bin/busybox", "sh", "-c", bootstrapScript, bootstrapContainer, "/zkensemble-server"}, args...)
	pod.InitContainers = append(pod.InitContainers, c)
}
