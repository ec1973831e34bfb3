package ensemble

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/storage/wal"
)

func TestMain(m *testing.M) {
	// Small WAL segments: tests see segments cut, released and purged, and
	// each member preallocates little.
	wal.SegmentSizeBytes = 128 << 10
	os.Exit(m.Run())
}

func countFiles(t *testing.T, dir, ext string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			n++
		}
	}
	return n
}

// TestLaggingFollowerGetsSnapshot stops a follower while the others write
// far past the log the leader keeps in memory: on return the follower is
// sent the leader's snapshot over the transport, restores it, then takes
// the entries after it. Old snapshots and released WAL segments are purged
// on every member, and a restart from the purged directory loses nothing.
func TestLaggingFollowerGetsSnapshot(t *testing.T) {
	ms := cluster(t, 3, 40, func(c *Config) { c.SnapshotCatchUpEntries = 10; c.SnapshotRetain = 2 })
	leader := waitLeader(t, ms)
	var lagging *member
	for _, m := range ms {
		if m != leader {
			lagging = m
			break
		}
	}
	lagging.node.Stop()
	lagging.node = nil
	value := strings.Repeat("v", 4096)
	for i := 0; i < 300; i++ {
		propose(t, leader, fmt.Sprintf("k%03d", i), value)
	}
	lagging.start(t)
	waitConverged(t, ms, "k299", value)
	lagging.sm.mu.Lock()
	restores, size := lagging.sm.restores, len(lagging.sm.data)
	lagging.sm.mu.Unlock()
	if restores == 0 {
		t.Fatal("the lagging follower caught up without a snapshot from the leader")
	}
	if size != 300 {
		t.Fatalf("the lagging follower has %d keys after catching up, want 300", size)
	}

	for _, m := range ms {
		dir := m.cfg.DataDir
		if n := countFiles(t, filepath.Join(dir, "snap"), ".snap"); n > 2 {
			t.Errorf("member %d keeps %d snapshot files, want at most 2", m.cfg.ID, n)
		}
		if m != lagging {
			// 300 entries of 4 KiB span about ten 128 KiB segments.
			if n := countFiles(t, filepath.Join(dir, "wal"), ".wal"); n > 4 {
				t.Errorf("member %d keeps %d WAL segments after snapshots", m.cfg.ID, n)
			}
		}
	}

	// Every member restarts from its purged directory with everything.
	for _, m := range ms {
		m.node.Stop()
	}
	for _, m := range ms {
		m.start(t)
	}
	waitLeader(t, ms)
	propose(t, ms[0], "after", "restart")
	waitConverged(t, ms, "after", "restart")
	for _, m := range ms {
		if m.sm.size() != 301 {
			t.Fatalf("member %d has %d keys after restarting, want 301", m.cfg.ID, m.sm.size())
		}
	}
}

// TestTornWALRecordIsCut: a crash in the middle of a WAL write leaves a torn
// last record (never synced, so never acknowledged); the member cuts it off
// and starts with everything before it.
func TestTornWALRecordIsCut(t *testing.T) {
	ms := cluster(t, 1, 1000)
	m := ms[0]
	waitLeader(t, ms)
	for i := 0; i < 20; i++ {
		propose(t, m, fmt.Sprintf("k%02d", i), "v")
	}
	m.node.Stop()
	walDir := filepath.Join(m.cfg.DataDir, "wal")
	ents, err := os.ReadDir(walDir)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal") {
			last = filepath.Join(walDir, e.Name())
		}
	}
	data, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	end := len(data)
	for end > 0 && data[end-1] == 0 {
		end--
	}
	if err := os.Truncate(last, int64(end-3)); err != nil {
		t.Fatal(err)
	}
	m.start(t)
	waitLeader(t, ms)
	if got := m.sm.size(); got < 19 {
		t.Fatalf("after cutting the torn record %d keys remain, want at least 19", got)
	}
	propose(t, m, "after", "repair")
}
