package zkimport

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/internal/zkimporttest"
)

// damagedCopies damages copies of ZooKeeper's (stopped) data directory and
// checks the import does what ZooKeeper 3.8 does with each: a newest
// snapshot with a flipped byte is skipped for the one before it, a log cut
// inside its last record loses that record (both compared with ZooKeeper
// started on the same copy), and a flipped byte in a log record or in every
// snapshot is refused.
func damagedCopies(t *testing.T, base string) {
	snaps, err := listFiles(filepath.Join(base, "version-2"), "snapshot")
	if err != nil || len(snaps) < 2 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	logs, err := listFiles(filepath.Join(base, "version-2"), "log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("logs: %v %v", logs, err)
	}
	newest := filepath.Base(snaps[len(snaps)-1].path)
	lastLog := filepath.Base(logs[len(logs)-1].path)
	tests := []struct {
		name      string
		damage    func(t *testing.T, v2 string)
		wantErr   string
		zooKeeper bool // compare with ZooKeeper started on the copy
		check     func(t *testing.T, r *Result)
	}{
		{"newest snapshot tampered", func(t *testing.T, v2 string) { flipByte(t, filepath.Join(v2, newest), 0.5) },
			"", true, func(t *testing.T, r *Result) {
				if r.Snapshot == newest || len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], "checksum") {
					t.Errorf("loaded %s, skipped %q; want %s skipped for a checksum mismatch", r.Snapshot, r.Skipped, newest)
				}
			}},
		{"last log torn", func(t *testing.T, v2 string) { tearLastRecord(t, filepath.Join(v2, lastLog)) },
			"", true, func(t *testing.T, r *Result) {
				if r.TornLog != lastLog {
					t.Errorf("torn log %q, want %s", r.TornLog, lastLog)
				}
			}},
		{"log record tampered", func(t *testing.T, v2 string) { flipRecordByte(t, filepath.Join(v2, lastLog)) },
			"record checksum mismatch", false, nil},
		{"every snapshot tampered", func(t *testing.T, v2 string) {
			for _, s := range snaps {
				flipByte(t, filepath.Join(v2, filepath.Base(s.path)), 0.6)
			}
		}, "no valid snapshot", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
				t.Fatalf("copy: %v %s", err, out)
			}
			tc.damage(t, filepath.Join(dir, "version-2"))
			res, err := Load(dir, Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load: %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
			if !tc.zooKeeper {
				return
			}
			srv := refzk.StartStandalone(t, refzk.Options{TickTime: 500, ExtendedTypes: true, SuperDigest: zkimporttest.SuperDigest,
				Extra: map[string]string{"dataDir": dir}})
			c := zkimporttest.Connect(t, srv.Addr, 4*time.Second)
			defer c.Close()
			if err := c.AddAuth("digest", []byte(zkimporttest.Super)); err != nil {
				t.Fatal(err)
			}
			want := zkimporttest.ReadAll(t, c)
			if diffs := zkimporttest.Diff(want, readTree(t, res.Tree), func(string) bool { return false }); len(diffs) > 0 {
				t.Errorf("differs from ZooKeeper on the same files in %d ways:\n%s", len(diffs), strings.Join(head(diffs, 30), "\n"))
			}
		})
	}
}

func flipByte(t *testing.T, path string, at float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[int(float64(len(b))*at)] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordOffsets lists where each record of a log starts, and where the
// written part ends.
func recordOffsets(t *testing.T, path string) ([]int64, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	lr, err := newLogReader(f, st.Size(), path, DefaultMaxBuffer)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for {
		at := st.Size() - lr.j.remaining
		if _, err := lr.next(); errors.Is(err, io.EOF) {
			return offs, at
		} else if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, at)
	}
}

// tearLastRecord cuts the log inside its last record, as a crash mid-write
// leaves it.
func tearLastRecord(t *testing.T, path string) {
	t.Helper()
	offs, _ := recordOffsets(t, path)
	if len(offs) == 0 {
		t.Fatal("empty log")
	}
	if err := os.Truncate(path, offs[len(offs)-1]+20); err != nil {
		t.Fatal(err)
	}
}

// flipRecordByte flips a byte inside the payload of the log's first record.
func flipRecordByte(t *testing.T, path string) {
	t.Helper()
	offs, _ := recordOffsets(t, path)
	if len(offs) == 0 {
		t.Fatal("empty log")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[offs[0]+8+4+10] ^= 0x01 // past the checksum and the length, in the header
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
