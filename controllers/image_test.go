package controllers

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// buildServerRootfs lays out the server image as both builders package it
// (hack/image-rootfs.sh), from binaries built for the test.
func buildServerRootfs(t *testing.T) (rootfs string, meta map[string]string) {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		if os.Getenv("ZKE_REQUIRE_ENVTEST") != "" {
			t.Fatal("/bin/busybox (Debian's busybox-static) is needed to lay out the server image")
		}
		t.Skip("no /bin/busybox (Debian's busybox-static)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	for _, cmd := range []string{"zkensemble-server", "zkcli"} {
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, cmd), "../cmd/"+cmd)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	rootfs = filepath.Join(dir, "rootfs")
	lay := exec.Command("../hack/image-rootfs.sh", "server", rootfs)
	lay.Env = append(os.Environ(), "BIN_DIR="+bin)
	if out, err := lay.CombinedOutput(); err != nil {
		t.Fatalf("image-rootfs.sh: %v\n%s", err, out)
	}
	meta = map[string]string{}
	f, err := os.Open("../hack/images/server.contents")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && (fields[0] == "entrypoint" || fields[0] == "user") {
			meta[fields[0]] = fields[1]
		}
	}
	return rootfs, meta
}

// executable reports whether path exists in the image and is executable,
// following links inside the image.
func executable(rootfs, path string) bool {
	for range 8 {
		fi, err := os.Lstat(filepath.Join(rootfs, path))
		if err != nil {
			return false
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
		}
		target, err := os.Readlink(filepath.Join(rootfs, path))
		if err != nil {
			return false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return false
}

// shellWords are the programs a `sh -c` script runs: absolute paths, and
// the busybox applets named after /bin/busybox.
var shellWords = regexp.MustCompile(`(/[\w./-]+)(?:\s+(\w+))?`)

// TestStatefulSetCommandsInImage renders the StatefulSet, with every opt-in
// that adds a container, and checks that each command its containers run
// exists in the server image as built: the entrypoint for containers that
// name none, each command, and what their shell scripts call.
func TestStatefulSetCommandsInImage(t *testing.T) {
	rootfs, meta := buildServerRootfs(t)
	zke := newZKE("ns", "img", func(z *zkv1.ZKEnsemble) {
		z.Spec.Storage.VolumePermissions = true
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSOptional}
		z.Spec.Auth = zkv1.AuthSpec{SASLUsersSecret: "users"}
	})
	pod := newRender(zke, "img", defaultClusterDomain).statefulSet(3).Spec.Template.Spec
	containers := append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...)
	if len(containers) < 2 {
		t.Fatalf("%d containers: the opt-in init container was not rendered", len(containers))
	}
	var applets []byte
	if executable(rootfs, "/bin/busybox") {
		var err error
		if applets, err = exec.Command(filepath.Join(rootfs, "bin", "busybox"), "--list").Output(); err != nil {
			t.Fatalf("the image's busybox: %v", err)
		}
	}
	for _, c := range containers {
		cmd := c.Command
		if len(cmd) == 0 {
			cmd = []string{meta["entrypoint"]}
		}
		if !executable(rootfs, cmd[0]) {
			t.Errorf("container %s runs %s, which the server image does not have", c.Name, cmd[0])
		}
		if len(cmd) >= 3 && cmd[1] == "sh" && cmd[2] == "-c" || len(cmd) >= 2 && strings.HasSuffix(cmd[0], "/sh") && cmd[1] == "-c" {
			if !slices.Contains(strings.Fields(string(applets)), "sh") {
				t.Errorf("container %s runs a shell; the image's busybox has none", c.Name)
			}
			for _, m := range shellWords.FindAllStringSubmatch(cmd[len(cmd)-1], -1) {
				if strings.HasPrefix(m[1], "/data") || strings.HasPrefix(m[1], "/etc") {
					continue // operands, not programs
				}
				if !executable(rootfs, m[1]) {
					t.Errorf("container %s's script runs %s, which the image does not have", c.Name, m[1])
				}
				if strings.HasSuffix(m[1], "/busybox") && m[2] != "" && !slices.Contains(strings.Fields(string(applets)), m[2]) {
					t.Errorf("container %s's script runs busybox %s, an applet the image's busybox lacks", c.Name, m[2])
				}
			}
		}
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.Exec != nil && !executable(rootfs, p.Exec.Command[0]) {
				t.Errorf("container %s probes with %s, which the image does not have", c.Name, p.Exec.Command[0])
			}
		}
	}
	// The Dockerfile packages the same layout with the same entrypoint and user.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stage := string(df)[strings.Index(string(df), "AS server"):]
	if i := strings.Index(stage[1:], "\nFROM "); i > 0 {
		stage = stage[:i+1]
	}
	// Its base image (a build arg: a static base with CA certificates) adds nothing the pods run.
	if !strings.Contains(string(df), "FROM ${BASE_IMAGE} AS server") {
		t.Error("the Dockerfile's server stage is not built on the BASE_IMAGE build arg")
	}
	for _, want := range []string{"COPY --from=build /rootfs/server/ /", "USER " + meta["user"], `ENTRYPOINT ["` + meta["entrypoint"] + `"]`} {
		if !strings.Contains(stage, want) {
			t.Errorf("the Dockerfile's server stage lacks %q:\n%s", want, stage)
		}
	}
	if !strings.Contains(string(df), "hack/image-rootfs.sh server /rootfs/server") {
		t.Error("the Dockerfile does not lay out the server image with hack/image-rootfs.sh")
	}
}
