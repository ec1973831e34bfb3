package ensemble

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
)

// readIndexes matches Raft's ReadStates to the Barrier calls waiting for them.
type readIndexes struct {
	mu    sync.Mutex
	seq   uint64
	waits map[uint64]chan uint64
}

func (r *readIndexes) register() (uint64, chan uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	ch := make(chan uint64, 1)
	r.waits[r.seq] = ch
	return r.seq, ch
}

func (r *readIndexes) forget(seq uint64) {
	r.mu.Lock()
	delete(r.waits, seq)
	r.mu.Unlock()
}

// deliver hands each ReadState to its waiter (stale ones have none).
func (r *readIndexes) deliver(states []raft.ReadState) {
	if len(states) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range states {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		if ch := r.waits[binary.BigEndian.Uint64(rs.RequestCtx)]; ch != nil {
			select {
			case ch <- rs.Index:
			default:
			}
		}
	}
}

// Barrier waits until this member has applied everything the leader had
// committed when it was called: ZooKeeper's sync, by Raft's ReadIndex (the
// leader confirms it still leads with a heartbeat round, then its commit
// index is the read index). Raft drops a read request when no leader is
// known or the leader changes, so an unanswered request is sent again
// after an election timeout until ctx ends.
func (n *Node) Barrier(ctx context.Context) error {
	var index uint64
	for {
		seq, ch := n.reads.register()
		var rctx [8]byte
		binary.BigEndian.PutUint64(rctx[:], seq)
		got := false
		if err := n.rn.ReadIndex(ctx, rctx[:]); err != nil {
			n.reads.forget(seq)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return n.closedErr()
		}
		retry := time.NewTimer(n.cfg.electionTimeout())
		select {
		case index = <-ch:
			got = true
		case <-retry.C:
		case <-ctx.Done():
		case <-n.done:
		}
		retry.Stop()
		n.reads.forget(seq)
		if got {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-n.done:
			return n.closedErr()
		default:
		}
	}
	return n.waitApplied(ctx, index)
}

func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	stop := context.AfterFunc(ctx, func() {
		n.applyMu.Lock()
		n.applyCond.Broadcast()
		n.applyMu.Unlock()
	})
	defer stop()
	n.applyMu.Lock()
	defer n.applyMu.Unlock()
	for n.appliedIndex.Load() < index {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-n.done:
			return n.closedErr()
		default:
		}
		n.applyCond.Wait()
	}
	return nil
}
