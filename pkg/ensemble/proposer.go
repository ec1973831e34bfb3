package ensemble

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// maxBatchBytes bounds the transactions one MsgProp carries (Raft's
// MaxSizePerMsg); a larger transaction goes alone (the transport's frame
// limit admits twice MaxEntryBytes).
const maxBatchBytes = 1 << 20

// proposer batches proposals (group commit that grows with load): what is
// proposed while the previous batch is being handed over goes to Raft in
// one MsgProp, to the leader's own log or forwarded to the leader, so one
// hand-off to Raft's goroutine (one frame to the leader) carries many
// transactions. The entry format is unchanged: one transaction per entry.
type proposer struct {
	mu    sync.Mutex
	queue []*propBatch // waiting, oldest first
	wake  chan struct{}
}

// propBatch is one MsgProp's entries and the outcome its proposers wait for.
type propBatch struct {
	ents  []pb.Entry
	bytes int
	done  chan struct{} // closed once err is set
	err   error
}

func newProposer() *proposer { return &proposer{wake: make(chan struct{}, 1)} }

// add queues data in the newest batch (a new one when that is full) and
// returns the batch, whose done closes once it was handed over.
func (p *proposer) add(data []byte) *propBatch {
	p.mu.Lock()
	var b *propBatch
	if k := len(p.queue); k > 0 && p.queue[k-1].bytes+len(data) <= maxBatchBytes {
		b = p.queue[k-1]
	} else {
		b = &propBatch{done: make(chan struct{})}
		p.queue = append(p.queue, b)
	}
	b.ents = append(b.ents, pb.Entry{Data: data})
	b.bytes += len(data)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return b
}

// take removes and returns the oldest batch, nil when none waits.
func (p *proposer) take() *propBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return nil
	}
	b := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	return b
}

// finish tells b's proposers the outcome.
func (b *propBatch) finish(err error) {
	b.err = err
	close(b.done)
}

// proposeLoop hands the queued batches to Raft, oldest first, until the
// member stops; what is left then fails with the member's error.
func (n *Node) proposeLoop() {
	for {
		select {
		case <-n.props.wake:
		case <-n.done:
			for b := n.props.take(); b != nil; b = n.props.take() {
				b.finish(n.closedErr())
			}
			return
		}
		for b := n.props.take(); b != nil; b = n.props.take() {
			b.finish(n.submit(b.ents))
		}
	}
}

// submit hands one batch to Raft: the leader steps it into its own log (one
// MsgProp, many entries), a follower forwards it to the leader in one frame.
// While this leader hands leadership over (Transfer), Raft would drop the
// batch without a word, so it is held until the transfer ends and then goes
// to whoever leads. A leader that drops a batch otherwise (it was removed)
// says nothing, as for a forwarded proposal: the new leader's term gives the
// waiting requests up (sessionserver.TermObserver).
func (n *Node) submit(ents []pb.Entry) error {
	for {
		if n.removed.Load() {
			return fmt.Errorf("%w: not taking proposals", ErrRemoved)
		}
		switch leader := n.leader.Load(); leader {
		case n.cfg.ID:
			if stepped, err := n.stepOwn(ents); stepped {
				return err
			}
			if err := n.awaitTransfer(); err != nil {
				return err
			}
		case 0:
			return ErrNoLeader
		default:
			n.transport.Send([]pb.Message{{Type: pb.MsgProp, From: n.cfg.ID, To: leader, Entries: ents}})
			return nil
		}
	}
}

// stepOwn steps a batch into the leader's own log unless a transfer is
// under way (then it returns false). Transfer counts itself in under
// transferMu's write lock, so no batch is stepped once it has begun.
func (n *Node) stepOwn(ents []pb.Entry) (bool, error) {
	n.transferMu.RLock()
	defer n.transferMu.RUnlock()
	if n.transferring.Load() > 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*n.cfg.electionTimeout())
	defer cancel()
	err := n.rn.Step(ctx, pb.Message{Type: pb.MsgProp, Entries: ents})
	switch {
	case errors.Is(err, raft.ErrStopped):
		return true, n.closedErr()
	case err != nil && ctx.Err() != nil:
		return true, ErrNoLeader // lost the office while proposing
	}
	return true, err
}

// awaitTransfer returns once this member is not handing leadership over
// (or no longer leads), waiting up to two election timeouts; after that the
// batch fails with ErrNoLeader and its clients retry.
func (n *Node) awaitTransfer() error {
	if n.transferring.Load() == 0 || !n.IsLeader() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*n.cfg.electionTimeout())
	defer cancel()
	err := n.waitUntil(ctx, func() bool { return n.transferring.Load() == 0 || !n.IsLeader() })
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrNoLeader
	}
	return err
}
