package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// The restart phases: a fresh standalone server of each system gets the
// same tree as the znode-memory phase (buildZnodes), both with the same
// snapCount so that both snapshot while it is built; then the files in its
// data directory are measured, and the server is stopped (SIGTERM) and
// started again on the same directory, then killed (SIGKILL) and started
// again, each time timed from the start of the process until a client's
// read of the last znode created succeeds.

const (
	phaseSnapshot = "snapshot on disk, 1M znodes"
	phaseRestart  = "restart with 1M znodes"
)

// restartOptions are the launch options of the restart phases' servers.
func restartOptions(l *launch, snapCount int) *launch {
	rl := *l
	rl.opts.Extra = map[string]string{"snapCount": fmt.Sprint(snapCount)}
	for k, v := range l.opts.Extra {
		rl.opts.Extra[k] = v
	}
	return &rl
}

// dataFiles is what a server keeps in its data directory.
type dataFiles struct {
	snapNewest, snapBytes, logBytes, apparent, allocated int64
	snaps, logs                                          int
	snapTime                                             time.Time // of the newest snapshot
}

// scanDataDir sums the files under dir: snapshots (ZooKeeper's
// version-2/snapshot.*, our version-2/snap/*.snap), transaction logs
// (ZooKeeper's version-2/log.*, our WAL segments *.wal, both preallocated,
// so their size is mostly padding) and everything, by size and by the
// blocks allocated (du).
func scanDataDir(dir string) (dataFiles, error) {
	var d dataFiles
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		d.apparent += fi.Size()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			d.allocated += st.Blocks * 512
		}
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "snapshot.") || strings.HasSuffix(name, ".snap"):
			d.snaps++
			d.snapBytes += fi.Size()
			if fi.ModTime().After(d.snapTime) {
				d.snapTime, d.snapNewest = fi.ModTime(), fi.Size()
			}
		case strings.HasPrefix(name, "log.") || strings.HasSuffix(name, ".wal"):
			d.logs++
			d.logBytes += fi.Size()
		}
		return nil
	})
	return d, err
}

// settleDataDir waits until the files under dir stop changing (a
// snapshot being written in the background finishes) for two looks a
// second apart, at most a minute.
func settleDataDir(dir string) dataFiles {
	prev, _ := scanDataDir(dir)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		time.Sleep(time.Second) // the file system gives no notification of a finished snapshot
		cur, _ := scanDataDir(dir)
		if cur == prev {
			return cur
		}
		prev = cur
	}
	return prev
}

func (d dataFiles) metrics(when string) []Metric {
	return []Metric{
		{Name: "newest snapshot MiB" + when, Value: float64(d.snapNewest) / mib, Better: lower},
		{Name: "snapshot files" + when, Value: float64(d.snaps)},
		{Name: "txn log MiB (file sizes)" + when, Value: float64(d.logBytes) / mib},
		{Name: "data dir MiB (allocated, du)" + when, Value: float64(d.allocated) / mib, Better: lower},
		{Name: "data dir MiB (file sizes)" + when, Value: float64(d.apparent) / mib},
	}
}

// untilRead starts a new session on addr every 20 ms, each reading path
// (a handshake that the server accepted while it was loading may never be
// answered, so attempts overlap, each given 5 s), until one read succeeds,
// and returns the time since began; a reply that the znode is missing is an
// error (the restart lost data).
func untilRead(addr, path string, began time.Time, limit time.Duration) (time.Duration, error) {
	type outcome struct {
		at  time.Time
		err error
	}
	results := make(chan outcome, 256) // never full: at most 250 attempts pending
	attempt := func() {
		s, err := rawConnectWithin(addr, 30*time.Second, 5*time.Second, nil)
		if err == nil {
			_, err = s.call(wire.OpGetData, &wire.PathWatchRequest{Path: path})
			s.drop()
		}
		results <- outcome{time.Now(), err}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(time.Until(began.Add(limit)))
	defer deadline.Stop()
	var last error
	pending, tries := 1, 1
	go attempt()
	for {
		select {
		case o := <-results:
			pending--
			switch {
			case o.err == nil:
				logf("%s: read after %d attempts (last error %v)", addr, tries, last)
				return o.at.Sub(began), nil
			case errors.Is(o.err, wire.ErrNoNode):
				return 0, fmt.Errorf("after the restart %s is missing", path)
			}
			last = o.err
		case <-tick.C:
			if pending < 250 {
				pending++
				tries++
				go attempt()
			}
		case <-deadline.C:
			return 0, fmt.Errorf("no read within %v: %w", limit, last)
		}
	}
}

// snapshotAfter sets /m (10 bytes) from 64 goroutines on one session,
// 100 writes at a time, until dir holds a snapshot newer than since (both
// servers snapshot every snapCount transactions, so one comes within
// snapCount writes, taken in the background by ZooKeeper), at most limit
// writes; it returns the writes it made. The snapshot then holds the whole
// tree on both sides, and the log after it a few writes.
func snapshotAfter(r *running, dir string, since time.Time, limit int) (int, error) {
	c, err := zkConnect(r.addrs[0], 30*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	data := []byte("0123456789")
	writes := 0
	for writes < limit {
		errs := make(chan error, 100)
		for g := 0; g < 100; g++ {
			go func() { _, err := c.Set("/m", data, -1); errs <- err }()
		}
		for g := 0; g < 100; g++ {
			if err := <-errs; err != nil {
				return writes, err
			}
		}
		writes += 100
		if d, err := scanDataDir(dir); err == nil && d.snapTime.After(since) {
			return writes, nil
		}
	}
	// ZooKeeper's snapshot thread may still be writing: settleDataDir waits.
	if d := settleDataDir(dir); d.snapTime.After(since) {
		return writes, nil
	}
	return writes, fmt.Errorf("no snapshot after %d writes", writes)
}

// restartMember builds the tree on r's only server, measures its data
// directory, and times its restarts after SIGTERM and after SIGKILL.
func restartMember(r *running, cfg *config, add func(Result)) error {
	s := r.servers[0]
	snapRes := Result{Phase: phaseSnapshot, Deployment: depStandalone, System: r.spec.System,
		Title: fmt.Sprintf("files in the data directory of a standalone server after %d znodes of 10 bytes were created as in the memory phase, both with snapCount=%d (ZooKeeper snapshots after a random %d-%d transactions, ours after %d Raft entries; a multi is one of either), then setData on /m until a snapshot newer than the tree appeared, and settled (no file changing for a second): the newest snapshot (the whole tree), the transaction logs (both preallocate: mostly padding) and the whole directory",
			cfg.znodes, cfg.restartSnapCount, cfg.restartSnapCount/2, cfg.restartSnapCount, cfg.restartSnapCount)}
	resRes := Result{Phase: phaseRestart, Deployment: depStandalone, System: r.spec.System,
		Title: "the same server stopped (SIGTERM) and started again on its data directory, then killed (SIGKILL) and started again: seconds from the process start until a new session's getData of the last znode created succeeds (a JVM start included for ZooKeeper), and what the directory held before each start (ZooKeeper takes a snapshot when it starts; ours snapshots every snapCount entries only). New sessions are tried every 20 ms, overlapping (ZooKeeper may leave a handshake accepted while it loads unanswered)"}
	made, took, err := buildZnodes(r, cfg.znodes)
	if err != nil {
		snapRes.Error = fmt.Sprintf("after %d znodes: %v", made, err)
		add(snapRes)
		return err
	}
	logf("%s: %d znodes in %v", r.spec.Key, made, took.Round(time.Millisecond))
	built := time.Now()
	time.Sleep(time.Second) // file times have a clock tick's resolution: a snapshot taken later has a later time
	writes, err := snapshotAfter(r, s.DataDir, built, 3*cfg.restartSnapCount)
	if err != nil {
		snapRes.Error = err.Error()
		add(snapRes)
		return err
	}
	before := settleDataDir(s.DataDir)
	snapRes.Metrics = append(before.metrics(""), Metric{Name: "writes after the tree until a snapshot", Value: float64(writes)})
	add(snapRes)
	logf("%s %s: %s", r.spec.Key, phaseSnapshot, brief(snapRes))

	last := znodePath(cfg.znodes - 1)
	var ms []Metric
	for _, step := range []struct {
		name string
		stop func()
	}{{"SIGTERM", s.Stop}, {"SIGKILL", s.Kill}} {
		disk, err := scanDataDir(s.DataDir)
		if err != nil {
			return err
		}
		step.stop()
		began := time.Now()
		s.StartAgain()
		d, err := untilRead(r.addrs[0], last, began, 10*time.Minute)
		if err != nil {
			resRes.Error = fmt.Sprintf("restart after %s: %v", step.name, err)
			break
		}
		ms = append(ms, Metric{Name: "serves a read after " + step.name + ", s", Value: d.Seconds(), Better: lower})
		ms = append(ms, disk.metrics(" before the " + step.name + " restart")[:3]...)
		logf("%s: restart after %s served a read in %v", r.spec.Key, step.name, d.Round(time.Millisecond))
	}
	// the two times first, the files after them
	for i := 0; i < len(ms); i += 4 {
		resRes.Metrics = append(resRes.Metrics, ms[i])
	}
	for i := 0; i < len(ms); i++ {
		if i%4 != 0 {
			resRes.Metrics = append(resRes.Metrics, ms[i])
		}
	}
	add(resRes)
	if resRes.Error != "" {
		logf("%s %s: %s", r.spec.Key, phaseRestart, resRes.Error)
		logf("%s log:\n%s", r.spec.Key, tail(s.Log(), 4000))
	}
	return nil
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
