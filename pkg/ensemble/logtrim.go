package ensemble

import (
	"errors"
	"sync/atomic"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// trimSlack is how many applied entries a member alone in its configuration
// lets gather in memory before it drops them (each drop copies what is left).
const trimSlack = 1024

// raftStorage is the Storage Raft reads: the in-memory log. A member alone
// in its configuration (a standalone server) keeps no applied entries in
// memory beyond trimSlack — nobody needs them, and the WAL holds them for a
// restart — so its newest snapshot may be older than the log's start. When
// a member joins later and Raft wants a snapshot to catch it up, Snapshot
// says "not yet" (Raft asks again at the next probe) and asks the apply
// loop for a new one.
type raftStorage struct {
	*raft.MemoryStorage
	snapWanted atomic.Bool
}

func (s *raftStorage) Snapshot() (pb.Snapshot, error) {
	snap, err := s.MemoryStorage.Snapshot()
	if err != nil {
		return snap, err
	}
	first, err := s.FirstIndex()
	if err != nil {
		return pb.Snapshot{}, err
	}
	if snap.Metadata.Index+1 < first {
		s.snapWanted.Store(true)
		return pb.Snapshot{}, raft.ErrSnapshotTemporarilyUnavailable
	}
	return snap, nil
}

// alone reports whether this member is the whole configuration.
func (n *Node) alone() bool {
	cs := n.confState
	return len(cs.Voters) == 1 && len(cs.Learners) == 0 && len(cs.VotersOutgoing) == 0 && len(cs.LearnersNext) == 0
}

// snapshotBehindLog reports whether entries after the newest snapshot were
// dropped from memory: a member that is no longer alone needs a new
// snapshot before Raft can catch anyone up (taken as soon as the change
// that added a member applies, so nobody waits for the next write).
func (n *Node) snapshotBehindLog() bool {
	first, err := n.store.mem.FirstIndex()
	return err == nil && n.snapshotIndex+1 < first
}

// trimLog drops the applied entries from memory when this member is alone
// in its configuration.
func (n *Node) trimLog() {
	if !n.alone() {
		return
	}
	applied := n.appliedIndex.Load()
	first, err := n.store.mem.FirstIndex()
	if err != nil || applied < first+trimSlack {
		return
	}
	if err := n.store.mem.Compact(applied); err != nil && !errors.Is(err, raft.ErrCompacted) {
		n.logger.Warn("ensemble: dropping applied entries from memory", "err", err)
	}
}
