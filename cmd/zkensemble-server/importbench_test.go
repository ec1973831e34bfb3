package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/internal/zkimporttest"
)

// importBenchDirs × importBenchPerDir znodes of 32 bytes make the 1M-znode
// data directory.
const importBenchDirs, importBenchPerDir = 1000, 1000

// BenchmarkImportVersusZooKeeperRestart prints the figure of issue 17: the
// time `zkensemble-server import` takes on a ZooKeeper data directory of 1M
// znodes (and our server's start until it serves a read), against ZooKeeper
// 3.8's own restart on the same files until it serves a read. ZooKeeper
// builds the directory once; it is cached in ~/.cache/zkensemble/zkimport-1m.
// Run it with `make bench-import`.
func BenchmarkImportVersusZooKeeperRestart(b *testing.B) {
	if err := refzk.Available(); err != nil {
		b.Skip(err)
	}
	bin := refzk.BuildOurs(b)
	cached := importBenchData(b)
	zkOpts := refzk.Options{HeapMB: 3072, TickTime: 2000}
	for range b.N {
		// ZooKeeper: stopped on an empty directory, given a copy of the
		// files, started again; the clock runs until a read succeeds.
		zks := refzk.StartStandalone(b, zkOpts)
		zks.Stop()
		copyDir(b, cached, zks.DataDir)
		start := time.Now()
		zks.StartAgain()
		waitRead(b, zks.Addr, 10*time.Minute)
		zkRestart := time.Since(start)
		zks.Stop()

		dst := filepath.Join(b.TempDir(), "imported")
		start = time.Now()
		out, err := exec.Command(bin, "import", cached, dst).CombinedOutput()
		if err != nil {
			b.Fatalf("import: %v\n%s", err, out)
		}
		importTime := time.Since(start)
		start = time.Now()
		ours := refzk.StartOurs(b, bin, refzk.Options{TickTime: 2000, Args: []string{"--dataDir", dst}})
		waitRead(b, ours.Addr, time.Minute)
		oursStart := time.Since(start)
		ours.Stop()

		b.ReportMetric(zkRestart.Seconds(), "zk-restart-s")
		b.ReportMetric(importTime.Seconds(), "import-s")
		b.ReportMetric(oursStart.Seconds(), "ours-start-s")
		fmt.Printf("1M znodes: ZooKeeper 3.8 restart until a read %v; zkensemble-server import %v, then our start until a read %v\n  %s",
			zkRestart.Round(time.Millisecond), importTime.Round(time.Millisecond), oursStart.Round(time.Millisecond), out)
	}
}

// importBenchData returns the cached ZooKeeper data directory of 1M znodes,
// building it with ZooKeeper when absent.
func importBenchData(b *testing.B) string {
	b.Helper()
	home, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(home, "zkensemble", "zkimport-1m")
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return data
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	off := false
	start := time.Now()
	srv := refzk.StartStandalone(b, refzk.Options{HeapMB: 3072, ForceSync: &off, Extra: map[string]string{"dataDir": data}})
	c := zkimporttest.Connect(b, srv.Addr, 30*time.Second)
	if _, err := c.Create("/bench", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := w; d < importBenchDirs; d += 16 {
				if err := createDir(c, d); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	c.Close()
	// ZooKeeper snapshots when it loads: restarted once, the directory holds
	// the 1M znodes in a snapshot, as a long-running server's does.
	srv.Stop()
	srv.StartAgain()
	waitRead(b, srv.Addr, 10*time.Minute)
	srv.Stop()
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("built %d znodes with ZooKeeper in %v (cached in %s)\n", importBenchDirs*importBenchPerDir, time.Since(start).Round(time.Second), dir)
	return data
}

// createDir creates /bench/dN and its children, 100 per multi.
func createDir(c *zk.Conn, d int) error {
	dir := fmt.Sprintf("/bench/d%04d", d)
	if _, err := c.Create(dir, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		return err
	}
	data := []byte("0123456789abcdef0123456789abcdef")
	for i := 0; i < importBenchPerDir; i += 100 {
		ops := make([]any, 0, 100)
		for j := i; j < i+100 && j < importBenchPerDir; j++ {
			ops = append(ops, &zk.CreateRequest{Path: fmt.Sprintf("%s/n%04d", dir, j), Data: data, Acl: zk.WorldACL(zk.PermAll)})
		}
		if _, err := c.Multi(ops...); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}

func copyDir(b *testing.B, src, dst string) {
	b.Helper()
	if err := os.RemoveAll(dst); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		b.Fatalf("copy: %v %s", err, out)
	}
}

// waitRead retries a read of / until the server answers it (the server is
// starting, there is nothing to wait on but its answer).
func waitRead(b *testing.B, addr string, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if out, err := refzk.FourLetter(addr, "srvr"); err == nil && len(out) > 0 {
			c, ev, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(quietZK{}))
			if err == nil {
				ok := readOnce(c, ev)
				c.Close()
				if ok {
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // polling interval while the server loads
	}
	b.Fatalf("%s did not serve a read within %v", addr, limit)
}

func readOnce(c *zk.Conn, ev <-chan zk.Event) bool {
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				_, _, err := c.Get("/bench")
				return err == nil
			}
		case <-timeout:
			return false
		}
	}
}
