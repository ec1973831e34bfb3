package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/seed"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// BenchmarkBackupRestore (make bench-backup) prints the figures of a backup
// of BACKUP_BENCH_ZNODES znodes (default 1,000,000; 1000 parents of 1000
// children, 16-byte data): the seeded member's first start, `backup` to a
// directory (time, archive size), `restore` (download, check, seed) and the
// restored member's first start until it serves.
func BenchmarkBackupRestore(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BACKUP_BENCH_ZNODES")); err == nil && v > 0 {
		total = v
	}
	bin := refzk.BuildOurs(b)
	for range b.N {
		start := time.Now()
		tree, zxid := benchTree(total)
		dir := filepath.Join(b.TempDir(), "seeded")
		if err := seed.Write(dir, tree, zxid, seed.Options{EnsembleID: "default"}); err != nil {
			b.Fatal(err)
		}
		b.Logf("%d znodes built and seeded in %v", total, time.Since(start))
		start = time.Now()
		adminURL, token, stop := startServing(b, bin, dir)
		b.Logf("the seeded member serves after %v", time.Since(start))
		start = time.Now()
		out, err := runCLI(bin, nil, "backup", "--admin-url", adminURL, "--token-file", token, "--to", "file://"+filepath.Join(b.TempDir(), "store"))
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var res podlayout.BackupResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(took.Seconds(), "backup-s")
		b.ReportMetric(float64(res.Size)/(1<<20), "archive-MiB")
		b.Logf("backup: %v, archive %.1f MiB (%s)", took, float64(res.Size)/(1<<20), res.Name)
		stop()
		restored := filepath.Join(b.TempDir(), "restored")
		start = time.Now()
		if _, err := runCLI(bin, nil, "restore", "--from", res.Location, "--dataDir", restored); err != nil {
			b.Fatal(err)
		}
		cmdTook := time.Since(start)
		_, _, stop = startServing(b, bin, restored)
		took = time.Since(start)
		stop()
		b.ReportMetric(took.Seconds(), "restore-s")
		b.Logf("restore: the command %v; until the restored member serves %v", cmdTook, took)
	}
}

// startServing starts the binary on dataDir and waits (up to 10 minutes:
// a million znodes on a loaded machine) until it answers ruok; it returns
// the admin URL, a token file and how to stop it.
func startServing(b *testing.B, bin, dataDir string) (string, string, func()) {
	b.Helper()
	client, admin := refzk.FreePort(b), refzk.FreePort(b)
	token := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(token, []byte("bench-token-0123456789abcdef"), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--dataDir", dataDir, "--clientPort", strconv.Itoa(client), "--clientPortAddress", "127.0.0.1",
		"--admin.serverAddress", "127.0.0.1", "--admin.serverPort", strconv.Itoa(admin), "--admin.tokenFile", token, "--4lw.commands.whitelist", "*")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	b.Cleanup(func() { _ = cmd.Process.Kill() })
	addr := fmt.Sprintf("127.0.0.1:%d", client)
	for deadline := time.Now().Add(10 * time.Minute); ; {
		if out, err := refzk.FourLetter(addr, "ruok"); err == nil && out == "imok" {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the member on %s did not serve within 10 minutes", dataDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", admin), token, stop
}

// benchTree builds total znodes (1000 per parent) in epoch 3.
func benchTree(total int) (*datatree.Tree, uint64) {
	tree := datatree.New()
	zxid := int64(3 << 32)
	super := datatree.Auth{Super: true}
	create := func(p string) {
		zxid++
		if _, _, code := tree.Create(zxid, 1_700_000_000_000, 0, super, datatree.CreateOp{Type: wire.OpCreate, Path: p, Data: []byte("0123456789abcdef"), ACL: datatree.OpenACLUnsafe, TTL: -1}); code != wire.ErrOK {
			panic(fmt.Sprint(p, code))
		}
	}
	for i := 0; i*1000 < total; i++ {
		parent := fmt.Sprintf("/p%04d", i)
		create(parent)
		for j := 0; j < 1000 && i*1000+j < total; j++ {
			create(fmt.Sprintf("%s/c%04d", parent, j))
		}
	}
	return tree, uint64(zxid)
}
