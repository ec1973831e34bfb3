package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/datatree"
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
		srv := refzk.StartOurs(b, bin, refzk.Options{DataDir: func(int) string { return dir }})
		b.Logf("the seeded member serves after %v", time.Since(start))
		token := filepath.Join(b.TempDir(), "token")
		if err := os.WriteFile(token, []byte(srv.Admin.Token), 0o600); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		out, err := runCLI(bin, nil, "backup", "--admin-url", srv.AdminURL(), "--token-file", token, "--to", "file://"+filepath.Join(b.TempDir(), "store"))
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var res backupResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(took.Seconds(), "backup-s")
		b.ReportMetric(float64(res.Size)/(1<<20), "archive-MiB")
		b.Logf("backup: %v, archive %.1f MiB (%s)", took, float64(res.Size)/(1<<20), res.Name)
		srv.Stop()
		restored := filepath.Join(b.TempDir(), "restored")
		start = time.Now()
		if _, err := runCLI(bin, nil, "restore", "--from", res.Location, "--dataDir", restored); err != nil {
			b.Fatal(err)
		}
		cmdTook := time.Since(start)
		refzk.StartOurs(b, bin, refzk.Options{DataDir: func(int) string { return restored }})
		took = time.Since(start)
		b.ReportMetric(took.Seconds(), "restore-s")
		b.Logf("restore: the command %v; until the restored member serves %v", cmdTook, took)
	}
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
