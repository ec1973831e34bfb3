package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// TestPodMemberSplitLog: a pod member whose log has its own volume uses
// the two only together; when one was lost or belongs to another member,
// both are moved aside and it starts empty (joins).
func TestPodMemberSplitLog(t *testing.T) {
	snapshot := func(t *testing.T, dir string) {
		mustMkdir(t, filepath.Join(dir, "version-2", "snap"))
		if err := os.WriteFile(filepath.Join(dir, "version-2", "snap", "0000000000000002-0000000000000010.snap"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stamp := func(t *testing.T, dir string, member uint64) {
		if err := ensemble.CheckStamp(dir, "ens", member); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		prepare   func(t *testing.T, data, log string)
		movedData bool
		movedLog  bool
	}{
		{"both of this member", func(t *testing.T, data, log string) {
			stamp(t, data, 2)
			snapshot(t, data)
			stamp(t, log, 2)
			mustWAL(t, log, true)
		}, false, false},
		{"log volume lost", func(t *testing.T, data, log string) {
			stamp(t, data, 2)
			snapshot(t, data)
		}, true, true},
		{"data volume lost", func(t *testing.T, data, log string) {
			stamp(t, log, 2)
			mustWAL(t, log, true)
		}, true, true},
		{"log of another member", func(t *testing.T, data, log string) {
			stamp(t, data, 2)
			stamp(t, log, 3)
			mustWAL(t, log, true)
		}, true, true},
		{"the log still in dataDir", func(t *testing.T, data, log string) {
			stamp(t, data, 2)
			mustWAL(t, data, true)
		}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, log := t.TempDir(), t.TempDir()
			tc.prepare(t, data, log)
			cfg := sessionserver.DefaultConfig()
			cfg.DataDir, cfg.DataLogDir = data, log
			if err := moveAsideStale(&cfg, "ens", 2, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			for dir, want := range map[string]bool{data: tc.movedData, log: tc.movedLog} {
				_, err := os.Stat(filepath.Join(dir, staleDir))
				if moved := err == nil; moved != want {
					t.Errorf("%s moved aside: %v, want %v", dir, moved, want)
				}
			}
			if tc.movedData && ensemble.HasStateWithLog(data, logDir(&cfg)) {
				t.Error("state left after moving aside")
			}
			if !tc.movedData && !ensemble.HasStateWithLog(data, logDir(&cfg)) {
				t.Error("the member's state is not seen")
			}
		})
	}
}
