package ensemble

import (
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// loopStats count what the Raft loop did, to show how well proposals batch:
// every Ready costs one WAL write and (with entries) one fsync.
type loopStats struct {
	readies atomic.Uint64 // Readys that carried entries to persist
	entries atomic.Uint64 // entries persisted
	applied atomic.Uint64 // committed entries handed to the apply goroutine
}

// LoopStats is a snapshot of the Raft loop's counters.
type LoopStats struct {
	// Appends is how many Readys carried log entries (one WAL fsync each).
	Appends uint64
	// Entries is how many log entries were persisted.
	Entries uint64
	// Applied is how many committed entries were applied.
	Applied uint64
}

// Stats returns the Raft loop's counters (entries per fsync = Entries/Appends).
func (n *Node) Stats() LoopStats {
	return LoopStats{Appends: n.stats.readies.Load(), Entries: n.stats.entries.Load(), Applied: n.stats.applied.Load()}
}

// raftLoop drives Raft the way etcd's server does (raft thesis §10.2.1):
// committed entries go to the apply goroutine at once; a leader sends its
// appends before writing its own WAL, so its fsync overlaps the followers';
// a follower acknowledges only after its WAL write is synced; the log is
// appended to the in-memory storage, then Raft is told to advance. Entries
// from many proposals arrive in one Ready, so one fsync covers them all
// (group commit), and appends to followers are pipelined (many in flight).
func (n *Node) raftLoop(applied <-chan struct{}) {
	defer func() {
		n.leader.Store(0)
		n.stopQuorum()
		close(n.applyc)
		<-applied
		n.rn.Stop()
		n.transport.Close()
		_ = n.store.close()
		close(n.done)
		n.applyMu.Lock()
		n.applyCond.Broadcast()
		n.applyMu.Unlock()
	}()
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	isLeader := false
	for {
		select {
		case <-n.stop:
			return
		case <-ticker.C:
			n.rn.Tick()
			n.evalQuorum()
		case rd := <-n.rn.Ready():
			if rd.SoftState != nil {
				isLeader = rd.RaftState == raft.StateLeader
				if old := n.leader.Swap(rd.Lead); old != rd.Lead {
					n.leaderChanged()
					if n.onLeaderChange != nil {
						n.onLeaderChange(rd.Lead)
					}
				}
				n.changes.changed()
			}
			if !raft.IsEmptyHardState(rd.HardState) && rd.Term != n.term.Load() {
				n.term.Store(rd.Term)
				n.evalQuorum()
			} else if rd.SoftState != nil {
				n.evalQuorum()
			}
			if t := refusedCandidate(rd); t != 0 {
				go n.campaignIfBetter(t)
			}
			n.reads.deliver(rd.ReadStates)
			if rd.Commit > n.commitIndex.Load() {
				n.commitIndex.Store(rd.Commit)
			}

			job := &applyJob{entries: rd.CommittedEntries, snapshot: rd.Snapshot,
				persisted: make(chan struct{}), applied: make(chan struct{})}
			select {
			case n.applyc <- job:
			case <-n.stop:
				return
			}
			n.stats.applied.Add(uint64(len(rd.CommittedEntries)))

			if isLeader {
				n.transport.Send(rd.Messages)
			}
			if err := n.store.save(&rd); err != nil {
				// Without durable storage the member must not go on acknowledging.
				n.logger.Error("ensemble: storage failed; stopping the member", "err", err)
				n.fail(err)
				return
			}
			if len(rd.Entries) > 0 {
				n.stats.readies.Add(1)
				n.stats.entries.Add(uint64(len(rd.Entries)))
			}
			close(job.persisted)

			confChanged := false
			for _, e := range rd.CommittedEntries {
				if e.Type == pb.EntryConfChange {
					confChanged = true
					break
				}
			}
			if confChanged {
				// Raft's view of the configuration must include the change before
				// it votes, counts acknowledgements or takes another change.
				select {
				case <-job.applied:
				case <-n.stop:
					return
				}
			}
			if !isLeader {
				n.transport.Send(rd.Messages)
			}
			n.rn.Advance()
			if k := len(rd.CommittedEntries); k > 0 {
				n.advanced.Store(rd.CommittedEntries[k-1].Index)
			} else if !raft.IsEmptySnap(rd.Snapshot) {
				n.advanced.Store(rd.Snapshot.Metadata.Index)
			}
			n.changes.changed() // progress, commit: what waiters in membership.go look at
		}
	}
}
