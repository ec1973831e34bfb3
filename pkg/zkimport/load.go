package zkimport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/zkensemble/zkensemble/pkg/datatree"
)

// Options tune Load.
type Options struct {
	// MaxBuffer bounds every buffer and string (jute.maxbuffer plus its
	// extra size); 0 means DefaultMaxBuffer. Raise it to read data written
	// by a ZooKeeper with a larger jute.maxbuffer.
	MaxBuffer int
	// LogDir is where the transaction logs are when ZooKeeper ran with a
	// dataLogDir of its own (that directory, or its version-2); empty means
	// beside the snapshots.
	LogDir string
}

// Result is an imported tree and what the import found.
type Result struct {
	// Tree holds every znode except /zookeeper and /zookeeper/config, which
	// stay the new server's own, and except ephemerals (see Zxid).
	Tree *datatree.Tree
	// Zxid is the tree's zxid: the last transaction's, plus one when
	// ephemerals were removed (their sessions expire at that zxid).
	Zxid int64
	// LastLoggedZxid is the last transaction found in the data directory.
	LastLoggedZxid int64
	Snapshot       string   // the snapshot file loaded
	Skipped        []string // newer snapshots that failed to verify, with why
	Txns           int      // transactions replayed after the snapshot
	Znodes         int      // znodes imported
	Ephemerals     int      // ephemeral znodes removed
	Sessions       int      // sessions open in ZooKeeper (not carried over)
	TornLog        string   // a log whose tail was cut short, if any
	// DigestsChecked counts the tree digests compared (the snapshot's
	// trailer and the logs' per-transaction digests) that matched.
	DigestsChecked int
}

// Load imports the ZooKeeper data directory dir: a dataDir holding
// version-2/, or version-2 itself.
func Load(dir string, opts Options) (*Result, error) {
	if opts.MaxBuffer <= 0 {
		opts.MaxBuffer = DefaultMaxBuffer
	}
	dir = versionDir(dir)
	logDir := dir
	if opts.LogDir != "" {
		logDir = versionDir(opts.LogDir)
	}
	snaps, err := listFiles(dir, "snapshot")
	if err != nil {
		return nil, err
	}
	logs, err := listFiles(logDir, "log")
	if err != nil {
		return nil, err
	}
	if len(snaps) == 0 {
		if len(logs) > 0 {
			return nil, fmt.Errorf("%s: no snapshot, but there are log files (ZooKeeper refuses this too)", dir)
		}
		return nil, fmt.Errorf("%s: no ZooKeeper snapshot or log files", dir)
	}
	res := &Result{}
	snap, file, err := newestValidSnapshot(snaps, opts.MaxBuffer, res)
	if err != nil {
		return nil, err
	}
	res.Snapshot = filepath.Base(file.path)
	r := &replay{m: snap.m, snapDigest: snap.digest, last: file.zxid, res: res}
	if d := snap.digest; d != nil && d.Zxid < file.zxid {
		r.snapDigest = nil // older than the snapshot: not comparable
	}
	if err := r.checkSnapshotDigest(file.zxid); err != nil {
		return nil, err
	}
	if err := r.logs(logsFrom(logs, file.zxid+1), file.zxid+1, opts.MaxBuffer, res); err != nil {
		return nil, err
	}
	res.LastLoggedZxid, res.Zxid, res.Sessions = r.last, r.last, len(r.m.sessions)
	if err := finish(r.m, res); err != nil {
		return nil, err
	}
	return res, nil
}

// versionDir is dir/version-2 when there is one, else dir.
func versionDir(dir string) string {
	if st, err := os.Stat(filepath.Join(dir, "version-2")); err == nil && st.IsDir() {
		return filepath.Join(dir, "version-2")
	}
	return dir
}

// newestValidSnapshot is FileSnap.deserialize: the newest snapshot that
// reads and verifies; older ones are tried when a newer one fails.
func newestValidSnapshot(snaps []dataFile, maxBuffer int, res *Result) (*snapshot, dataFile, error) {
	var errs []error
	for i := len(snaps) - 1; i >= 0 && len(snaps)-i <= 100; i-- {
		f := snaps[i]
		s, err := loadSnapshotFile(f, maxBuffer)
		if err == nil {
			return s, f, nil
		}
		err = fmt.Errorf("%s: %w", filepath.Base(f.path), err)
		res.Skipped = append(res.Skipped, err.Error())
		errs = append(errs, err)
	}
	return nil, dataFile{}, fmt.Errorf("no valid snapshot: %w", errors.Join(errs...))
}

func loadSnapshotFile(f dataFile, maxBuffer int) (*snapshot, error) {
	switch f.suffix {
	case "", "gz":
	case "snappy":
		return nil, errors.New("snappy-compressed snapshots are not supported (set zookeeper.snapshot.compression.method to gz or none and take a snapshot)")
	default:
		return nil, fmt.Errorf("unknown snapshot compression %q", f.suffix)
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = fh.Close() }()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	return readSnapshot(fh, st.Size(), f.suffix, maxBuffer)
}

// replay applies the logs after the snapshot (FileTxnSnapLog.fastForwardFromEdits).
type replay struct {
	m          *model
	snapDigest *zxidDigest // non-nil while the snapshot is fuzzy
	last       int64
	res        *Result
}

// checkSnapshotDigest is DataTree.compareSnapshotDigests at zxid: the
// snapshot's digest is compared once the replay reaches its zxid.
func (r *replay) checkSnapshotDigest(zxid int64) error {
	d := r.snapDigest
	if d == nil || zxid != d.Zxid {
		return nil
	}
	r.snapDigest = nil
	if d.Version != digestVersion {
		return nil
	}
	if r.m.digest != d.Digest {
		return fmt.Errorf("tree digest mismatch at zxid %#x: the snapshot says %#x, the replayed tree is %#x", zxid, d.Digest, r.m.digest)
	}
	r.res.DigestsChecked++
	return nil
}

func (r *replay) logs(files []dataFile, from int64, maxBuffer int, res *Result) error {
	for i, f := range files {
		torn, err := r.logFile(f, from, maxBuffer, res)
		if err != nil {
			return err
		}
		if torn && i == len(files)-1 {
			res.TornLog = filepath.Base(f.path)
		}
	}
	return nil
}

func (r *replay) logFile(f dataFile, from int64, maxBuffer int, res *Result) (bool, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return false, err
	}
	defer func() { _ = fh.Close() }()
	st, err := fh.Stat()
	if err != nil {
		return false, err
	}
	name := filepath.Base(f.path)
	lr, err := newLogReader(fh, st.Size(), name, maxBuffer)
	if err != nil {
		return false, err
	}
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return lr.torn, nil
		}
		if err != nil {
			return false, err
		}
		e, err := decodeEntry(b)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		if e.Hdr.Zxid < from {
			continue
		}
		if err := r.txn(e); err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		res.Txns++
	}
}

func (r *replay) txn(e logEntry) error {
	if e.Hdr.Zxid > r.last {
		r.last = e.Hdr.Zxid
	}
	if err := r.m.apply(e.Hdr, &e.Txn); err != nil {
		return err
	}
	fuzzy := r.snapDigest != nil
	if err := r.checkSnapshotDigest(e.Hdr.Zxid); err != nil || fuzzy && r.snapDigest != nil {
		return err
	}
	if d := e.Digest; d != nil && d.Version == digestVersion {
		if d.Tree != r.m.digest {
			return fmt.Errorf("tree digest mismatch after zxid %#x: the log says %#x, the replayed tree is %#x", e.Hdr.Zxid, d.Tree, r.m.digest)
		}
		r.res.DigestsChecked++
	}
	return nil
}
