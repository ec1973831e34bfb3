//go:build images

package images

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const stamp = "v0.0.0-multiarch-test"

// ociLayout is an OCI layout tarball read into memory: its index.json and
// blobs by digest.
type ociLayout struct {
	index descriptorList
	blobs map[string][]byte
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS, Architecture, Variant string
	} `json:"platform"`
}

type descriptorList struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
}

func readLayout(t *testing.T, path string) *ociLayout {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := &ociLayout{blobs: map[string][]byte{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case h.Name == "index.json":
			if err := json.Unmarshal(b, &l.index); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(h.Name, "blobs/sha256/"):
			l.blobs["sha256:"+strings.TrimPrefix(h.Name, "blobs/sha256/")] = b
		}
	}
	return l
}

func (l *ociLayout) json(t *testing.T, digest string, v any) {
	t.Helper()
	b, ok := l.blobs[digest]
	if !ok {
		t.Fatalf("blob %s missing from the layout", digest)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// platformFiles are the regular files of one platform's image (one layer).
func (l *ociLayout) platformFiles(t *testing.T, manifest string) (config map[string]any, files map[string][]byte) {
	t.Helper()
	var m struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	l.json(t, manifest, &m)
	l.json(t, m.Config.Digest, &config)
	files = map[string][]byte{}
	for _, layer := range m.Layers {
		zr, err := gzip.NewReader(strings.NewReader(string(l.blobs[layer.Digest])))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				b, _ := io.ReadAll(tr)
				files["/"+h.Name] = b
			}
		}
	}
	return config, files
}

// TestMultiArchImages builds both images for linux/amd64 and linux/arm64,
// checks each is an index of both platforms whose binaries are built for
// the platform, and starts the arm64 server from the image under qemu.
func TestMultiArchImages(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the images and downloads Debian's arm64 busybox")
	}
	out := t.TempDir()
	build := exec.Command("../../hack/images-multiarch.sh")
	build.Env = append(os.Environ(), "OUT_DIR="+out, "VERSION="+stamp,
		"SERVER_IMAGE=docker.io/zkensemble/server:"+stamp, "MANAGER_IMAGE=docker.io/zkensemble/manager:"+stamp)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("images-multiarch.sh: %v\n%s", err, b)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	var arm64Server []byte
	for _, image := range []string{"server", "manager"} {
		l := readLayout(t, filepath.Join(out, image+"-index.tar"))
		if len(l.index.Manifests) != 1 || l.index.Manifests[0].MediaType != "application/vnd.oci.image.index.v1+json" {
			t.Fatalf("%s: index.json %+v: want one image index", image, l.index)
		}
		if ref := l.index.Manifests[0].Annotations["io.containerd.image.name"]; ref != "docker.io/zkensemble/"+image+":"+stamp {
			t.Errorf("%s: named %q", image, ref)
		}
		var idx descriptorList
		l.json(t, l.index.Manifests[0].Digest, &idx)
		seen := map[string]bool{}
		for _, m := range idx.Manifests {
			if m.Platform == nil || m.Platform.OS != "linux" {
				t.Fatalf("%s: manifest without a linux platform: %+v", image, m)
			}
			arch := m.Platform.Architecture
			seen[arch] = true
			config, files := l.platformFiles(t, m.Digest)
			if config["architecture"] != arch || config["os"] != "linux" {
				t.Errorf("%s/%s: config says %v/%v", image, arch, config["os"], config["architecture"])
			}
			entry := "/zkensemble-server"
			if image == "manager" {
				entry = "/manager"
			}
			for _, bin := range []string{entry, "/bin/busybox"} {
				if image == "manager" && bin == "/bin/busybox" {
					continue
				}
				b, ok := files[bin]
				if !ok {
					t.Fatalf("%s/%s: no %s in the image", image, arch, bin)
				}
				ef, err := elf.NewFile(strings.NewReader(string(b)))
				if err != nil {
					t.Fatalf("%s/%s: %s: %v", image, arch, bin, err)
				}
				if ef.Machine != machines[arch] {
					t.Errorf("%s/%s: %s is built for %s", image, arch, bin, ef.Machine)
				}
			}
			if image == "server" && arch == "arm64" {
				arm64Server = files[entry]
			}
		}
		if !seen["amd64"] || !seen["arm64"] || len(idx.Manifests) != 2 {
			t.Errorf("%s: platforms %v, want amd64 and arm64", image, seen)
		}
	}
	if arm64Server != nil {
		runUnderQemu(t, arm64Server)
	}
}

// runUnderQemu runs the arm64 server under Debian's qemu-aarch64-static
// (installed when missing, as hack/install-deps.sh does): --version prints
// the stamped version, and a standalone server answers srvr with it.
func runUnderQemu(t *testing.T, server []byte) {
	t.Helper()
	if _, err := exec.LookPath("qemu-aarch64-static"); err != nil {
		if b, err := exec.Command("../../hack/install-deps.sh", "qemu-user-static").CombinedOutput(); err != nil {
			t.Fatalf("installing qemu-user-static: %v\n%s", err, b)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zkensemble-server")
	if err := os.WriteFile(bin, server, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("qemu-aarch64-static", bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "zkensemble-server "+stamp+" (") || !strings.Contains(string(b), "linux/arm64") {
		t.Fatalf("arm64 --version under qemu: %v %q", err, b)
	}
	t.Logf("under qemu: %s", strings.TrimSpace(string(b)))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	srv := exec.Command("qemu-aarch64-static", bin, "--tickTime=2000", "--clientPortAddress=127.0.0.1", fmt.Sprintf("--clientPort=%d", port),
		"--dataDir="+filepath.Join(dir, "data"), "--admin.serverAddress=127.0.0.1", "--admin.serverPort=0", "--4lw.commands.whitelist=srvr")
	logs, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(logs)) }()
	want := "Zookeeper version: 3.8.0-zkensemble-" + stamp + ", built on"
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := srvr(fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil && strings.HasPrefix(got, want) {
			t.Logf("the arm64 server under qemu answers srvr: %s", strings.SplitN(got, "\n", 2)[0])
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the arm64 server under qemu: srvr %q, %v; want it to start with %q", got, err, want)
		}
		time.Sleep(200 * time.Millisecond) // poll until the deadline: the server is starting
	}
}

func srvr(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}
