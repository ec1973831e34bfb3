package ensemble

import (
	"errors"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// applyJob is one Ready's worth of work for the apply goroutine.
type applyJob struct {
	entries  []pb.Entry
	snapshot pb.Snapshot
	// persisted is closed once the Ready's snapshot and entries are in the
	// WAL and the in-memory log (a snapshot from the leader is restored, and
	// a local snapshot taken, only after that).
	persisted chan struct{}
	// applied is closed when the job is done.
	applied chan struct{}
}

// applyLoop applies committed entries in log order while the Raft loop goes
// on persisting and replicating the next ones.
func (n *Node) applyLoop() {
	for job := range n.applyc {
		if !n.applyJob(job) {
			// Stopping: drain so the Raft loop's sends do not block.
			for range n.applyc {
			}
			return
		}
	}
}

func (n *Node) waitPersisted(job *applyJob) bool {
	select {
	case <-job.persisted:
		return true
	case <-n.stop:
		return false
	}
}

func (n *Node) applyJob(job *applyJob) bool {
	defer close(job.applied)
	if !raft.IsEmptySnap(job.snapshot) {
		if !n.waitPersisted(job) {
			return false
		}
		began := time.Now()
		data, err := n.decodeSnapshot(job.snapshot.Data)
		if err == nil {
			err = n.sm.Restore(data)
		}
		n.metrics.snapApply.Observe(time.Since(began).Seconds())
		if err != nil {
			n.logger.Error("ensemble: restoring a snapshot from the leader failed; stopping the member", "err", err)
			n.fail(err)
			return false
		}
		n.confState = job.snapshot.Metadata.ConfState
		n.snapshotIndex = job.snapshot.Metadata.Index
		n.appliedTerm.Store(job.snapshot.Metadata.Term)
		n.setApplied(job.snapshot.Metadata.Index)
		n.logger.Info("ensemble: restored a snapshot from the leader", "index", job.snapshot.Metadata.Index)
	}
	n.applyCommitted(job.entries)
	if n.removed.Load() {
		n.markRemoved()
	}
	if !n.waitPersisted(job) {
		return false
	}
	n.maybeSnapshot()
	n.trimLog()
	return true
}

func (n *Node) setApplied(i uint64) {
	n.applyMu.Lock()
	n.appliedIndex.Store(i)
	n.applyCond.Broadcast()
	n.applyMu.Unlock()
	n.changes.changed()
}

// applyCommitted hands committed transactions to the state machine in one
// batch, with each entry's term (the zxid's epoch), and applies configuration
// changes to Raft, the member table and the transport, each followed by the
// transaction that rewrites /zookeeper/config at that position of the log.
func (n *Node) applyCommitted(ents []pb.Entry) {
	if len(ents) == 0 {
		return
	}
	batch := make([]sessionserver.Entry, 0, len(ents))
	last, lastTerm := uint64(0), uint64(0)
	for _, e := range ents {
		if e.Index <= n.appliedIndex.Load() {
			continue
		}
		last, lastTerm = e.Index, e.Term
		switch e.Type {
		case pb.EntryNormal:
			if len(e.Data) > 0 {
				batch = append(batch, sessionserver.Entry{Term: e.Term, Index: e.Index, Data: e.Data})
			} else { // a new leader's empty entry: not a transaction, where its term begins
				batch = n.termBegan(batch, e.Term)
			}
		case pb.EntryConfChange:
			if cfgEntry, ok := n.applyConfChange(e); ok && n.cfg.PublishConfig {
				batch = append(batch, cfgEntry)
			}
		}
	}
	if len(batch) > 0 {
		n.sm.Apply(batch)
	}
	if last > 0 {
		caughtUp := lastTerm != n.appliedTerm.Swap(lastTerm)
		n.setApplied(last)
		if caughtUp || n.removed.Load() {
			n.evalQuorum()
		}
	}
}

// termBegan applies batch, then tells the state machine that a new
// leader's term begins at this point of the log
// (sessionserver.TermObserver); it returns what is left to apply.
func (n *Node) termBegan(batch []sessionserver.Entry, term uint64) []sessionserver.Entry {
	o, ok := n.sm.(sessionserver.TermObserver)
	if !ok {
		return batch
	}
	if len(batch) > 0 {
		n.sm.Apply(batch)
		batch = nil
	}
	o.TermBegan(term)
	return batch
}

// maybeSnapshot snapshots the state machine every SnapshotCount entries
// (and when the last snapshot leaves out a member: snapconf.go, or Raft
// needs one that covers entries dropped from memory: logtrim.go),
// compacts the in-memory log (keeping SnapshotCatchUpEntries for slow
// followers) and purges old snapshot and WAL files.
func (n *Node) maybeSnapshot() {
	applied := n.appliedIndex.Load()
	wanted := n.raftStore.snapWanted.Load() || (n.snapshotBehindLog() && !n.alone()) || n.snapshotLacksMember()
	due := applied-n.snapshotIndex >= n.cfg.SnapshotCount || (applied > n.snapshotIndex && wanted)
	if !due || n.stopping() {
		return
	}
	began := time.Now()
	smData, err := n.sm.Snapshot()
	if err != nil {
		n.logger.Error("ensemble: snapshot failed", "err", err)
		return
	}
	data := n.encodeSnapshot(smData)
	snap, err := n.store.mem.CreateSnapshot(applied, &n.confState, data)
	if err != nil {
		if !errors.Is(err, raft.ErrSnapOutOfDate) {
			n.logger.Error("ensemble: creating the snapshot", "err", err)
		}
		return
	}
	if err := n.store.saveSnapshot(snap); err != nil {
		// A disk that cannot take the snapshot cannot be trusted with the
		// WAL either (and the WAL may hold a partial snapshot record): stop,
		// as for a failed WAL write (ZooKeeper exits too).
		n.logger.Error("ensemble: saving the snapshot failed; stopping the member", "err", err)
		n.fail(err)
		return
	}
	n.metrics.snapSave.Observe(time.Since(began).Seconds())
	n.raftStore.snapWanted.Store(false)
	if keep := n.cfg.SnapshotCatchUpEntries; applied > keep {
		if err := n.store.mem.Compact(applied - keep); err != nil && !errors.Is(err, raft.ErrCompacted) {
			n.logger.Warn("ensemble: compacting the log", "err", err)
		}
	}
	n.snapshotIndex = applied
	if err := n.store.purge(); err != nil {
		n.logger.Warn("ensemble: purging old snapshots and WAL segments", "err", err)
	}
	n.logger.Info("ensemble: snapshot", "index", applied, "bytes", len(data))
}

// stopping reports whether the member is stopping (Stop, or a failure).
func (n *Node) stopping() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}
