package ensemble

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	"go.etcd.io/etcd/server/v3/etcdserver/api/snap"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// storage is a member's durable Raft state: the WAL (hard state and entries,
// fsynced before Raft may act on them), snapshots, and the in-memory view
// Raft reads from.
type storage struct {
	mem      *raft.MemoryStorage
	wal      *wal.WAL
	snaps    *snap.Snapshotter
	snapshot *pb.Snapshot // loaded at open, nil when none
	existed  bool

	walDir, snapDir string
	retain          int
}

// openStorage opens the snapshots in dir/snap and the WAL in walDir
// (dir/wal when empty).
func openStorage(dir, walDir string, retain int, lg *zap.Logger) (*storage, error) {
	if walDir == "" {
		walDir = filepath.Join(dir, "wal")
	}
	snapDir := filepath.Join(dir, "snap")
	if err := os.MkdirAll(snapDir, 0o750); err != nil {
		return nil, err
	}
	s := &storage{mem: raft.NewMemoryStorage(), snaps: snap.New(lg, snapDir), walDir: walDir, snapDir: snapDir, retain: retain}
	if !wal.Exist(walDir) {
		w, err := wal.Create(lg, walDir, nil)
		if err != nil {
			return nil, fmt.Errorf("ensemble: creating the WAL: %w", err)
		}
		s.wal = w
		return s, nil
	}
	s.existed = true
	walSnaps, err := wal.ValidSnapshotEntries(lg, walDir)
	if err != nil {
		return nil, fmt.Errorf("ensemble: reading WAL snapshots: %w", err)
	}
	snapshot, err := loadSnapshot(lg, snapDir, walSnaps)
	if err != nil {
		return nil, err
	}
	walSnap := walpb.Snapshot{}
	if snapshot != nil {
		walSnap.Index, walSnap.Term = snapshot.Metadata.Index, snapshot.Metadata.Term
		walSnap.ConfState = &snapshot.Metadata.ConfState
		s.snapshot = snapshot
	}
	w, st, ents, err := readWAL(lg, walDir, walSnap)
	if err != nil {
		return nil, err
	}
	s.wal = w
	if snapshot == nil && raft.IsEmptyHardState(st) && len(ents) == 0 {
		// Created, then stopped before its first Ready was saved: start as new.
		s.existed = false
	}
	if snapshot != nil {
		if err := s.mem.ApplySnapshot(*snapshot); err != nil {
			return nil, err
		}
	}
	if err := s.mem.SetHardState(st); err != nil {
		return nil, err
	}
	if err := s.mem.Append(ents); err != nil {
		return nil, err
	}
	return s, nil
}

// hasRaftState reports whether dir holds a snapshot, or walDir (dir/wal
// when empty) a hard state or log entries (see HasState). When unsure (an
// unreadable WAL) it says yes: the caller then restarts from the log, which
// reports what is wrong.
func hasRaftState(dir, walDir string) bool {
	snaps, _ := filepath.Glob(filepath.Join(dir, "snap", "*.snap"))
	if len(snaps) > 0 {
		return true
	}
	if walDir == "" {
		walDir = filepath.Join(dir, "wal")
	}
	return walHasState(walDir)
}

// walHasState reports whether the WAL in walDir holds a hard state or log
// entries (yes when unreadable, as hasRaftState).
func walHasState(walDir string) bool {
	if !wal.Exist(walDir) {
		return false
	}
	w, err := wal.OpenForRead(zap.NewNop(), walDir, walpb.Snapshot{})
	if err != nil {
		return true
	}
	defer func() { _ = w.Close() }()
	_, st, ents, err := w.ReadAll()
	return err != nil || !raft.IsEmptyHardState(st) || len(ents) > 0
}

// readWAL opens the WAL after walSnap and reads it. A record torn by a crash
// in the middle of a write (never acknowledged: the write had not been
// synced) is cut off once, as etcd does.
func readWAL(lg *zap.Logger, walDir string, walSnap walpb.Snapshot) (*wal.WAL, pb.HardState, []pb.Entry, error) {
	for repaired := false; ; repaired = true {
		w, err := wal.Open(lg, walDir, walSnap)
		if err != nil {
			return nil, pb.HardState{}, nil, fmt.Errorf("ensemble: opening the WAL: %w", err)
		}
		_, st, ents, err := w.ReadAll()
		if err == nil {
			return w, st, ents, nil
		}
		_ = w.Close()
		if repaired || !errors.Is(err, io.ErrUnexpectedEOF) || !wal.Repair(lg, walDir) {
			return nil, pb.HardState{}, nil, fmt.Errorf("ensemble: reading the WAL: %w", err)
		}
	}
}

// save persists what a Ready asks for before anything else acts on it: a
// snapshot from the leader (its file, then its WAL record), the hard state
// and entries (fsynced by the WAL when Raft requires it: new entries, or a
// changed term or vote), then the in-memory log Raft reads.
func (s *storage) save(rd *raft.Ready) error {
	hasSnap := !raft.IsEmptySnap(rd.Snapshot)
	if hasSnap {
		if err := s.saveSnapshotRecord(rd.Snapshot); err != nil {
			return err
		}
	}
	if err := s.wal.Save(rd.HardState, rd.Entries); err != nil {
		return s.walErr(err)
	}
	if hasSnap {
		// The hard state must be on disk before older WAL segments are
		// released (etcd issue 10219).
		if err := s.wal.Sync(); err != nil {
			return s.walErr(err)
		}
		if err := s.mem.ApplySnapshot(rd.Snapshot); err != nil {
			return err
		}
		if err := s.wal.ReleaseLockTo(rd.Snapshot.Metadata.Index); err != nil {
			return err
		}
	}
	return s.mem.Append(rd.Entries)
}

// saveSnapshot records a snapshot this member took and releases the WAL
// segments it covers.
func (s *storage) saveSnapshot(snapshot pb.Snapshot) error {
	if err := s.saveSnapshotRecord(snapshot); err != nil {
		return err
	}
	return s.wal.ReleaseLockTo(snapshot.Metadata.Index)
}

func (s *storage) saveSnapshotRecord(snapshot pb.Snapshot) error {
	walSnap := walpb.Snapshot{Index: snapshot.Metadata.Index, Term: snapshot.Metadata.Term, ConfState: &snapshot.Metadata.ConfState}
	// The snapshot file first: a WAL record must never point at a missing snapshot.
	if err := s.snaps.SaveSnap(snapshot); err != nil {
		return fmt.Errorf("ensemble: writing a snapshot in %s: %w", s.snapDir, err)
	}
	if err := s.wal.SaveSnapshot(walSnap); err != nil {
		return s.walErr(err)
	}
	return nil
}

// walErr says which WAL file failed: etcd's WAL reports a failed fdatasync
// as the bare errno. Its tail segment is the one written and synced.
func (s *storage) walErr(err error) error {
	tail := s.walDir
	if names, rerr := fileutil.ReadDir(s.walDir, fileutil.WithExt(".wal")); rerr == nil && len(names) > 0 {
		tail = filepath.Join(s.walDir, names[len(names)-1])
	}
	return fmt.Errorf("ensemble: writing the WAL %s: %w", tail, err)
}

// purge keeps the newest `retain` snapshot files and removes the WAL
// segments the WAL no longer holds (released by a snapshot) beyond `retain`
// of them, as etcd's purge loop and ZooKeeper's autopurge do.
func (s *storage) purge() error {
	snaps, err := fileutil.ReadDir(s.snapDir, fileutil.WithExt(".snap"))
	if err != nil {
		return err
	}
	var errs []error
	for len(snaps) > s.retain {
		if err := os.Remove(filepath.Join(s.snapDir, snaps[0])); err != nil {
			errs = append(errs, err)
		}
		snaps = snaps[1:]
	}
	wals, err := fileutil.ReadDir(s.walDir, fileutil.WithExt(".wal"))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for len(wals) > s.retain {
		path := filepath.Join(s.walDir, wals[0])
		// A segment the WAL still needs is locked by it.
		l, err := fileutil.TryLockFile(path, os.O_WRONLY, fileutil.PrivateFileMode)
		if err != nil {
			break
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
		}
		_ = l.Close()
		wals = wals[1:]
	}
	return errors.Join(errs...)
}

func (s *storage) close() error { return s.wal.Close() }
