package controllers

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

func bootRender(boot *zkv1.BootstrapStatus) render {
	rd := newRender(newZKE("ns", "zk", func(z *zkv1.ZKEnsemble) { z.UID = "uid-1" }), "server:test", "cluster.local")
	rd.boot = boot
	return rd
}

// Every rendering of the StatefulSet carries the bootstrap init container
// (the scaling step applies it too: without it the seed member would start
// empty and be rolled onto it later).
func TestStatefulSetCarriesBootstrap(t *testing.T) {
	rd := bootRender(&zkv1.BootstrapStatus{Mode: "restore", Location: "s3://b/k", CredentialsSecret: "c"})
	for _, n := range []int32{0, 1, 3} {
		init := rd.statefulSet(n).Spec.Template.Spec.InitContainers
		if len(init) != 1 || init[0].Name != bootstrapContainer {
			t.Errorf("replicas %d: init containers %+v", n, init)
		}
	}
}

func TestAddBootstrap(t *testing.T) {
	var none corev1.PodSpec
	bootRender(nil).addBootstrap(&none)
	if len(none.InitContainers) != 0 {
		t.Fatal("an init container without spec.bootstrap")
	}
	tests := []struct {
		name     string
		boot     *zkv1.BootstrapStatus
		wantArgs []string
		mount    string
		env      bool
	}{
		{"restore from s3", &zkv1.BootstrapStatus{Mode: "restore", Location: "s3://b/k?endpoint=x", CredentialsSecret: "creds"},
			[]string{"/zkensemble-server", "restore", "--from", "s3://b/k?endpoint=x", "--dataDir", "/data", "--ensemble-id", "uid-1", "--member-id", "1"}, "", true},
		{"restore from a volume", &zkv1.BootstrapStatus{Mode: "restore", Location: "file:///backup/b1", PVC: &zkv1.PVCSource{ClaimName: "backups"}},
			[]string{"/zkensemble-server", "restore", "--from", "file:///backup/b1"}, backupMount, false},
		{"import", &zkv1.BootstrapStatus{Mode: "import", PVC: &zkv1.PVCSource{ClaimName: "zk-data", SubPath: "zookeeper"}},
			[]string{"/zkensemble-server", "import", "--ensemble-id", "uid-1", "--myid", "1", zookeeperMount, "/data/.import"}, zookeeperMount, false},
		{"import an archive", &zkv1.BootstrapStatus{Mode: "import", Location: "s3://b/zk.tar.gz?endpoint=x", CredentialsSecret: "creds"},
			[]string{"/zkensemble-server", "import", "--ensemble-id", "uid-1", "--myid", "1", "s3://b/zk.tar.gz?endpoint=x", "/data/.import"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pod corev1.PodSpec
			bootRender(tc.boot).addBootstrap(&pod)
			if len(pod.InitContainers) != 1 {
				t.Fatalf("init containers %d", len(pod.InitContainers))
			}
			c := pod.InitContainers[0]
			// The location is an argument, never part of the script.
			if c.Command[0] != "/bin/busybox" || c.Command[3] != bootstrapScript || !slices.Equal(c.Command[5:5+len(tc.wantArgs)], tc.wantArgs) {
				t.Errorf("command %q", c.Command)
			}
			if sc := c.SecurityContext; !*sc.RunAsNonRoot || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("security %+v", sc)
			}
			if tc.mount != "" {
				m := c.VolumeMounts[len(c.VolumeMounts)-1]
				if m.MountPath != tc.mount || !m.ReadOnly || pod.Volumes[len(pod.Volumes)-1].PersistentVolumeClaim.ClaimName != tc.boot.PVC.ClaimName {
					t.Errorf("source mount %+v", m)
				}
			}
			if hasCreds := slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "AWS_ACCESS_KEY_ID" }); hasCreds != tc.env {
				t.Errorf("credentials in env: %v, want %v", hasCreds, tc.env)
			}
		})
	}
}

// The init container's gate, run by a real shell: it restores only on the
// seed member, before the ensemble has served, into an empty volume.
// Restoring over a live ensemble (bootstrap file emptied once a server list
// was published) or over existing data is refused.
func TestBootstrapScriptGate(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("a shell is needed to run the init container's script: %v", err)
	}
	tests := []struct {
		name              string
		pod, bootstrapped string
		data              bool
		want              string // termination message; "ran" when it ran the command
	}{
		{"seed, new ensemble, empty volume", "zk-0", "1\n", false, "ran"},
		{"not the seed member", "zk-1", "1\n", false, skipNotSeed},
		{"live ensemble", "zk-0", "", false, skipBootstrapped},
		{"volume not empty", "zk-0", "1\n", true, skipNotEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg, data, term := filepath.Join(dir, "cfg"), filepath.Join(dir, "data"), filepath.Join(dir, "termination-log")
			for _, d := range []string{cfg, data} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(cfg, podlayout.BootstrapFile), []byte(tc.bootstrapped), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.data {
				if err := os.WriteFile(filepath.Join(data, "wal"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			script := strings.NewReplacer(podlayout.ConfigDir, cfg, " "+podlayout.DataDir, " "+data, "/dev/termination-log", term).Replace(bootstrapScript)
			// The command writes a directory beside its output, as import
			// does; the script moves it into the volume.
			into := filepath.Join(data, ".import")
			cmd := exec.Command(sh, "-c", script, "bootstrap", "sh", "-c", `mkdir "$0" && echo v > "$0/VERSION" && echo ran`, into)
			cmd.Env = []string{"POD_NAME=" + tc.pod, "SEED_POD=zk-0", "MOVE_FROM=" + into, "PATH=" + os.Getenv("PATH")}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got, _ := os.ReadFile(term)
			if strings.TrimSpace(string(got)) != tc.want {
				t.Errorf("termination message %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(data)
			if tc.want == "ran" && (len(entries) != 1 || entries[0].Name() != "VERSION") {
				t.Errorf("the volume holds %v; want what the command wrote, moved up", entries)
			}
		})
	}
}

func TestBootstrapProgress(t *testing.T) {
	st := &zkv1.BootstrapStatus{Phase: BootstrapPending, Mode: "restore", Location: "s3://b/k"}
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	done := func(code int32, msg string) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg}}}
	}
	restoring := bootstrapProgress(st, running, "zk-0")
	if restoring == nil || restoring.Phase != BootstrapRestoring {
		t.Fatalf("running: %+v", restoring)
	}
	if ok := bootstrapProgress(restoring, done(0, `{"zxid":"0x100000007"}`), "zk-0"); ok == nil || ok.Phase != BootstrapRestored || ok.Zxid != "0x100000007" || ok.CompletionTime == nil {
		t.Errorf("restored: %+v", ok)
	}
	if f := bootstrapProgress(restoring, done(1, "backup s3://b/k: checksum mismatch"), "zk-0"); f == nil || f.Phase != BootstrapFailed || !strings.Contains(f.Message, "checksum mismatch") {
		t.Errorf("failed: %+v", f)
	}
	if f := bootstrapProgress(st, done(0, skipNotEmpty), "zk-0"); f == nil || f.Phase != BootstrapFailed || !strings.Contains(f.Message, "not empty") {
		t.Errorf("a volume with data before any restore: %+v", f)
	}
	if ok := bootstrapProgress(restoring, done(0, "imported 306 znodes at zxid 0x13a from snapshot.0 and 7 transactions"), "zk-0"); ok == nil || ok.Zxid != "0x13a" {
		t.Errorf("import summary: %+v", ok)
	}
	if f := bootstrapProgress(st, done(0, skipBootstrapped), "zk-0"); f == nil || f.Phase != BootstrapFailed {
		t.Errorf("an ensemble that served before any restore was seen: %+v", f)
	}
	if same := bootstrapProgress(restoring, running, "zk-0"); same != nil {
		t.Errorf("no change expected: %+v", same)
	}
}
