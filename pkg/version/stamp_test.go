package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stampedCommands are the binaries that report the stamped version.
var stampedCommands = []string{"zkensemble-server", "zkcli", "manager", "kubectl-zke"}

// TestStampedBinaries builds each binary as the Makefile does, with a
// version given to the linker, and checks that --version prints it.
func TestStampedBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	const stamp = "v9.8.7-3-gabcdef0-dirty"
	bin := t.TempDir()
	for _, cmd := range stampedCommands {
		t.Run(cmd, func(t *testing.T) {
			out := filepath.Join(bin, cmd)
			build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/zkensemble/zkensemble/pkg/version.Version="+stamp, "-o", out, "../../cmd/"+cmd)
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			got, err := exec.Command(out, "--version").CombinedOutput()
			if err != nil {
				t.Fatalf("%s --version: %v\n%s", cmd, err, got)
			}
			if want := cmd + " " + stamp + " ("; !strings.HasPrefix(string(got), want) {
				t.Fatalf("%s --version printed %q, want it to start with %q", cmd, got, want)
			}
		})
	}
}
