package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestScanDataDir(t *testing.T) {
	layouts := []struct {
		name  string
		files map[string]int // path → size; written in this order, one second apart in mtime
		order []string
		want  dataFiles
	}{
		{"zookeeper", map[string]int{"version-2/snapshot.0": 10, "version-2/snapshot.2b": 300, "version-2/log.1": 4000, "version-2/acceptedEpoch": 1},
			[]string{"version-2/snapshot.0", "version-2/log.1", "version-2/snapshot.2b", "version-2/acceptedEpoch"},
			dataFiles{snapNewest: 300, snapBytes: 310, logBytes: 4000, apparent: 4311, snaps: 2, logs: 1}},
		{"ours", map[string]int{"version-2/snap/0000000000000002-0000000000002710.snap": 500, "version-2/snap/0000000000000002-0000000000001000.snap": 200, "version-2/wal/0000000000000000-0000000000000000.wal": 6000, "myid": 2},
			[]string{"version-2/snap/0000000000000002-0000000000001000.snap", "version-2/snap/0000000000000002-0000000000002710.snap", "version-2/wal/0000000000000000-0000000000000000.wal", "myid"},
			dataFiles{snapNewest: 500, snapBytes: 700, logBytes: 6000, apparent: 6702, snaps: 2, logs: 1}},
	}
	for _, tc := range layouts {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base := time.Now().Add(-time.Hour).Truncate(time.Second)
			for i, p := range tc.order {
				full := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, make([]byte, tc.files[p]), 0o644); err != nil {
					t.Fatal(err)
				}
				at := base.Add(time.Duration(i) * time.Second)
				if err := os.Chtimes(full, at, at); err != nil {
					t.Fatal(err)
				}
			}
			got, err := scanDataDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			got.allocated, got.snapTime = 0, time.Time{}
			if got != tc.want {
				t.Errorf("scanDataDir = %+v, want %+v", got, tc.want)
			}
		})
	}
}
