package ensemble

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
}

func openStorage(dir string, lg *zap.Logger) (*storage, error) {
	walDir, snapDir := filepath.Join(dir, "wal"), filepath.Join(dir, "snap")
	if err := os.MkdirAll(snapDir, 0o750); err != nil {
		return nil, err
	}
	s := &storage{mem: raft.NewMemoryStorage(), snaps: snap.New(lg, snapDir)}
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
	snapshot, err := s.snaps.LoadNewestAvailable(walSnaps)
	if err != nil && !errors.Is(err, snap.ErrNoSnapshot) {
		return nil, fmt.Errorf("ensemble: loading the snapshot: %w", err)
	}
	walSnap := walpb.Snapshot{}
	if snapshot != nil {
		walSnap.Index, walSnap.Term = snapshot.Metadata.Index, snapshot.Metadata.Term
		walSnap.ConfState = &snapshot.Metadata.ConfState
		s.snapshot = snapshot
	}
	w, err := wal.Open(lg, walDir, walSnap)
	if err != nil {
		return nil, fmt.Errorf("ensemble: opening the WAL: %w", err)
	}
	_, st, ents, err := w.ReadAll()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("ensemble: reading the WAL: %w", err)
	}
	s.wal = w
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

// save persists what a Ready asks for before anything else acts on it.
func (s *storage) save(rd *raft.Ready) error {
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := s.saveSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	if err := s.wal.Save(rd.HardState, rd.Entries); err != nil {
		return err
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := s.mem.ApplySnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	return s.mem.Append(rd.Entries)
}

func (s *storage) saveSnapshot(snapshot pb.Snapshot) error {
	walSnap := walpb.Snapshot{Index: snapshot.Metadata.Index, Term: snapshot.Metadata.Term, ConfState: &snapshot.Metadata.ConfState}
	// The snapshot file first: a WAL record must never point at a missing snapshot.
	if err := s.snaps.SaveSnap(snapshot); err != nil {
		return err
	}
	if err := s.wal.SaveSnapshot(walSnap); err != nil {
		return err
	}
	return s.wal.ReleaseLockTo(snapshot.Metadata.Index)
}

func (s *storage) close() error { return s.wal.Close() }
