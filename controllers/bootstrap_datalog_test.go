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

// With spec.storage.dataLog the seed's WAL belongs on the log volume: the
// init container mounts it and tells restore or import to write the log
// there (a WAL left in the data volume would make the member set both
// aside and start empty).
func TestAddBootstrapWithLogVolume(t *testing.T) {
	for _, tc := range []struct {
		boot *zkv1.BootstrapStatus
		flag string
	}{
		{&zkv1.BootstrapStatus{Mode: "restore", Location: "s3://b/k", CredentialsSecret: "c"}, "--dataLogDir"},
		{&zkv1.BootstrapStatus{Mode: "import", PVC: &zkv1.PVCSource{ClaimName: "zk-data"}}, "--dst-log-dir"},
	} {
		t.Run(tc.boot.Mode, func(t *testing.T) {
			rd := bootRender(tc.boot)
			rd.zke.Spec.Storage.DataLog = &zkv1.DataLogStorage{}
			var pod corev1.PodSpec
			rd.addBootstrap(&pod)
			c := pod.InitContainers[0]
			if i := slices.Index(c.Command, tc.flag); i < 0 || c.Command[i+1] != podlayout.DataLogDir {
				t.Errorf("command %q lacks %s %s", c.Command, tc.flag, podlayout.DataLogDir)
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == podlayout.VolumeDataLog && m.MountPath == podlayout.DataLogDir && !m.ReadOnly
			}) {
				t.Errorf("mounts %+v lack the log volume", c.VolumeMounts)
			}
			if !slices.Contains(c.Env, corev1.EnvVar{Name: "LOG_DIR", Value: podlayout.DataLogDir}) {
				t.Errorf("env %+v lacks LOG_DIR", c.Env)
			}
		})
	}
}

// The gate refuses a log volume that is not empty, as it refuses the data
// volume: nothing is restored over a member's log.
func TestBootstrapScriptGateLogVolume(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, data, logDir, term := filepath.Join(dir, "cfg"), filepath.Join(dir, "data"), filepath.Join(dir, "log"), filepath.Join(dir, "termination-log")
	for _, d := range []string{cfg, data, logDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(cfg, podlayout.BootstrapFile), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logDir, "wal"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := strings.NewReplacer(podlayout.ConfigDir, cfg, " "+podlayout.DataDir, " "+data, "/dev/termination-log", term).Replace(bootstrapScript)
	cmd := exec.Command(sh, "-c", script, "bootstrap", "sh", "-c", "echo ran")
	cmd.Env = []string{"POD_NAME=zk-0", "SEED_POD=zk-0", "LOG_DIR=" + logDir, "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got, _ := os.ReadFile(term); strings.TrimSpace(string(got)) != skipNotEmpty {
		t.Errorf("termination message %q, want %q", got, skipNotEmpty)
	}
}
