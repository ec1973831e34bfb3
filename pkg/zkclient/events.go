package zkclient

import (
	"sync"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// State is the session's state as the application sees it.
type State int32

const (
	StateConnecting State = iota
	StateConnected
	StateConnectedReadOnly
	StateDisconnected
	StateExpired
	StateAuthFailed
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "Connecting"
	case StateConnected:
		return "Connected"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateDisconnected:
		return "Disconnected"
	case StateExpired:
		return "Expired"
	case StateAuthFailed:
		return "AuthFailed"
	case StateClosed:
		return "Closed"
	}
	return "Unknown"
}

// EventType tells a session event (EventSession) from a znode event
// (wire.EventNodeCreated, ...).
type EventType = int32

// EventSession marks an event that reports a session state change.
const EventSession EventType = wire.EventNone

// Event is a session state change or a watch notification. Path is relative
// to the chroot.
type Event struct {
	Type   EventType
	State  State
	Path   string
	Server string // for session events: the server connected to, if any
	Err    error  // set when a watch ends without firing (session expired or closed)
}

// queue delivers events in order on a channel without ever blocking the
// producer (the connection's reader): it buffers without bound.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []Event
	closed bool
	out    chan Event
}

func newQueue() *queue {
	q := &queue{out: make(chan Event)}
	q.cond = sync.NewCond(&q.mu)
	go q.pump()
	return q
}

func (q *queue) push(ev Event) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, ev)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// close delivers what is queued, then closes the channel.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Signal()
	q.mu.Unlock()
}

func (q *queue) pump() {
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.items) == 0 {
			q.mu.Unlock()
			close(q.out)
			return
		}
		ev := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		q.out <- ev
	}
}
