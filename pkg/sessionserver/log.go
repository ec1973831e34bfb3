package sessionserver

import "context"

// Entry is one committed transaction handed to the state machine, with the
// log term it was proposed in (the zxid's epoch) and its log index.
type Entry struct {
	Term, Index uint64
	Data        []byte
}

// Log orders transactions. Standalone servers use LocalLog; an ensemble
// member uses pkg/ensemble's replicated log.
type Log interface {
	// Propose submits an encoded transaction for ordering. Committed entries
	// reach the StateMachine's Apply, in order, on every member.
	Propose(ctx context.Context, data []byte) error
	// Barrier returns once this member has applied every entry committed
	// before the call (sync).
	Barrier(ctx context.Context) error
}

// Terms is implemented by a replicated Log (pkg/ensemble): the leader's term
// that proposals go out in now.
type Terms interface {
	Term() uint64
}

// TermObserver is implemented by a StateMachine that is told where, in the
// order of Apply, a new leader's term begins (the leader's first, empty
// entry). *Server implements it to give up on proposals lost with the old
// leader (lostwrites.go).
type TermObserver interface {
	TermBegan(term uint64)
}

// StateMachine is what a Log drives. *Server implements it, passing the
// replicated state to its stateMachine and the effects on connections to its registry.
type StateMachine interface {
	Apply(entries []Entry)
	Snapshot() ([]byte, error)
	Restore(snapshot []byte) error
	// CheckForwarded vets a transaction that member from forwarded to the
	// leader, before it enters the log (the leader refuses what fails it).
	CheckForwarded(from uint64, data []byte) error
}
