package sessionserver

import (
	"context"
	"errors"
	"sync"
)

// ErrLogClosed is returned by a closed log.
var ErrLogClosed = errors.New("sessionserver: log closed")

// LocalLog orders the transactions of a standalone server. Proposals are
// batched: the apply goroutine takes everything queued so far and applies it
// in one Apply call (group commit), in proposal order, with term 0 so zxids
// run 1, 2, 3 as on a standalone ZooKeeper.
type LocalLog struct {
	sm    StateMachine
	mu    sync.Mutex
	queue [][]byte
	index uint64
	// proposed and appliedN count transactions, for Barrier.
	proposed, appliedN uint64
	wake               chan struct{}
	closed             bool
	done               chan struct{}
	// applied is closed and replaced after every batch, for Barrier.
	applied chan struct{}
}

// NewLocalLog starts a log that applies to sm.
func NewLocalLog(sm StateMachine) *LocalLog {
	l := &LocalLog{sm: sm, wake: make(chan struct{}, 1), done: make(chan struct{}), applied: make(chan struct{})}
	go l.run()
	return l
}

// Propose queues data for the next batch.
func (l *LocalLog) Propose(ctx context.Context, data []byte) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrLogClosed
	}
	l.queue = append(l.queue, data)
	l.proposed++
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

// Barrier returns after everything proposed before the call has been applied.
func (l *LocalLog) Barrier(ctx context.Context) error {
	l.mu.Lock()
	target := l.proposed
	for l.appliedN < target {
		ch := l.applied
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-l.done:
			return ErrLogClosed
		}
		l.mu.Lock()
	}
	l.mu.Unlock()
	return nil
}

func (l *LocalLog) run() {
	defer close(l.done)
	var entries []Entry
	for range l.wake {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		closed := l.closed
		l.mu.Unlock()
		if len(batch) > 0 {
			entries = entries[:0]
			for _, d := range batch {
				l.index++
				entries = append(entries, Entry{Term: 0, Index: l.index, Data: d})
			}
			l.sm.Apply(entries)
		}
		l.mu.Lock()
		l.appliedN += uint64(len(batch))
		close(l.applied)
		l.applied = make(chan struct{})
		l.mu.Unlock()
		if closed {
			return
		}
	}
}

// Close stops the log after applying what was proposed.
func (l *LocalLog) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	l.wake <- struct{}{}
	<-l.done
}
