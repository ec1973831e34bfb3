package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/storage/wal"
	raftpb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

func TestPodMember(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name      string
		host      string
		observer  bool
		bootstrap string
		prepare   func(dir string)
		wantID    uint64
		wantJoin  bool
		wantLines int
		wantStale bool
		wantErr   bool
	}{
		{name: "bootstrap seed", host: "zk-0", bootstrap: "1", wantID: 1, wantLines: 1},
		{name: "bootstrap of three", host: "zk-1", bootstrap: "1,2,3", wantID: 2, wantLines: 3},
		{name: "empty volume joins", host: "zk-3", bootstrap: "1", wantID: 4, wantJoin: true, wantLines: 4},
		{name: "no bootstrap file: seed joins too", host: "zk-0", wantID: 1, wantJoin: true, wantLines: 1},
		{name: "own log restarts", host: "zk-2", bootstrap: "3", wantID: 3, wantLines: 1, prepare: func(dir string) {
			mustStamp(t, dir, "uid-1", 3)
			mustWAL(t, dir, true)
		}},
		// A member stopped before its first save left a WAL with nothing in
		// it: it decides again, and never bootstraps unless listed.
		{name: "empty log of a joining member joins again", host: "zk-2", bootstrap: "1", wantID: 3, wantJoin: true, wantLines: 3, prepare: func(dir string) {
			mustStamp(t, dir, "uid-1", 3)
			mustWAL(t, dir, false)
		}},
		{name: "empty log of the seed bootstraps again", host: "zk-0", bootstrap: "1", wantID: 1, wantLines: 1, prepare: func(dir string) {
			mustStamp(t, dir, "uid-1", 1)
			mustWAL(t, dir, false)
		}},
		{name: "removed member's log is moved aside", host: "zk-2", wantID: 3, wantJoin: true, wantLines: 3, wantStale: true, prepare: func(dir string) {
			mustStamp(t, dir, "uid-1", 3)
			mustWAL(t, dir, true)
			if err := os.WriteFile(filepath.Join(dir, "version-2", "removed"), []byte("removed at index 9"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another ensemble's volume is moved aside", host: "zk-0", bootstrap: "1", wantID: 1, wantLines: 1, wantStale: true, prepare: func(dir string) {
			mustStamp(t, dir, "uid-old", 1)
			mustWAL(t, dir, true)
		}},
		// An observer pod never bootstraps, even if listed, and joins
		// reaching the members through their pod names.
		{name: "observer joins", host: "zk-observer-0", observer: true, bootstrap: "1", wantID: 128, wantJoin: true, wantLines: 1},
		{name: "observer listed in the bootstrap file still joins", host: "zk-observer-1", observer: true, bootstrap: "1,129", wantID: 129, wantJoin: true, wantLines: 1},
		{name: "observer ordinal out of range", host: "zk-observer-127", observer: true, wantErr: true},
		{name: "observer flag on a voter's pod", host: "zk-0", observer: true, wantErr: true},
		{name: "voter of an ensemble named x-observer", host: "zk-observer-0", bootstrap: "1", wantID: 1, wantLines: 1},
		{name: "voter ordinal out of range", host: "zk-127", wantErr: true},
		{name: "hostname without ordinal", host: "zookeeper", wantErr: true},
		{name: "bad bootstrap file", host: "zk-0", bootstrap: "one", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			mustMkdir(t, data)
			if tc.prepare != nil {
				tc.prepare(data)
			}
			bootFile := ""
			if tc.bootstrap != "" {
				bootFile = filepath.Join(dir, "bootstrap")
				if err := os.WriteFile(bootFile, []byte(tc.bootstrap), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg := sessionserver.DefaultConfig()
			cfg.DataDir = data
			flags := memberFlags{ensembleID: "uid-1", podDomain: "zk-peers.ns.svc.cluster.local", bootstrapFile: bootFile, hostname: tc.host, observer: tc.observer}
			err := podMember(&cfg, &flags, logger)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if flags.myid != tc.wantID || flags.join != tc.wantJoin || len(cfg.Servers) != tc.wantLines {
				t.Fatalf("id %d join %v lines %v; want %d %v %d", flags.myid, flags.join, cfg.Servers, tc.wantID, tc.wantJoin, tc.wantLines)
			}
			want := tc.host + ".zk-peers.ns.svc.cluster.local:2888:3888;" + tc.host + ".zk-peers.ns.svc.cluster.local:2181"
			if got := cfg.Servers[tc.wantID]; got != want {
				t.Fatalf("own server line %q, want %q", got, want)
			}
			ens := strings.TrimSuffix(tc.host[:strings.LastIndexByte(tc.host, '-')], "-observer")
			if !tc.observer {
				ens = tc.host[:strings.LastIndexByte(tc.host, '-')]
			}
			if got, want := flags.peerAddr(5), ens+"-4.zk-peers.ns.svc.cluster.local:2888"; got != want {
				t.Fatalf("address of member 5: %q, want %q", got, want)
			}
			if got, want := flags.peerAddr(130), ens+"-observer-2.zk-peers.ns.svc.cluster.local:2888"; got != want {
				t.Fatalf("address of member 130: %q, want %q", got, want)
			}
			_, err = os.Stat(filepath.Join(data, "stale"))
			if stale := err == nil; stale != tc.wantStale {
				t.Fatalf("moved aside: %v, want %v", stale, tc.wantStale)
			}
			if tc.wantStale && ensemble.HasState(data) {
				t.Fatal("stale log still in place")
			}
		})
	}
}

func mustStamp(t *testing.T, dir, ensembleID string, id uint64) {
	t.Helper()
	if err := ensemble.CheckStamp(dir, ensembleID, id); err != nil {
		t.Fatal(err)
	}
}

// mustWAL creates the member's WAL in dir/version-2, with a hard state in
// it when written.
func mustWAL(t *testing.T, dir string, written bool) {
	t.Helper()
	w, err := wal.Create(zap.NewNop(), filepath.Join(dir, "version-2", "wal"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if written {
		if err := w.Save(raftpb.HardState{Term: 2, Vote: 1, Commit: 0}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
}
