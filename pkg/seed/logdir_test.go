package seed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
)

// TestWriteSeparateLogDir: with Options.LogDir the WAL goes to the log
// directory, both directories are stamped, and the pair is one a member
// with dataLogDir starts on (a WAL left in dst would make it move both
// aside and start empty, losing the restored tree).
func TestWriteSeparateLogDir(t *testing.T) {
	dst, logDir := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "log")
	tree, _ := testTree(t)
	if err := Write(dst, tree, 0x500000007, Options{EnsembleID: "e", LogDir: logDir}); err != nil {
		t.Fatal(err)
	}
	if reason := ensemble.SplitLogMismatch(dst, logDir); reason != "" {
		t.Fatalf("the seeded pair does not belong together: %s", reason)
	}
	if !ensemble.HasStateWithLog(dst, logDir) {
		t.Fatal("no member state seen with the log directory")
	}
	if _, err := os.Stat(filepath.Join(dst, "version-2", "wal")); !os.IsNotExist(err) {
		t.Fatalf("a WAL was written into dst too (%v)", err)
	}
	for _, dir := range []string{dst, logDir} {
		if reason := ensemble.StaleState(dir, "e", 1); reason != "" {
			t.Fatalf("%s: %s", dir, reason)
		}
	}
	// A log directory in use is refused, and dst is left as it was.
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dst2 := filepath.Join(t.TempDir(), "data")
	defer func() {
		if _, err := os.Stat(dst2); !os.IsNotExist(err) {
			t.Errorf("dst was created for a refused log directory (%v)", err)
		}
	}()
	tree2, _ := testTree(t)
	err := Write(dst2, tree2, 1, Options{EnsembleID: "e", LogDir: used})
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("got %v, want a refusal of the log directory in use", err)
	}
}
