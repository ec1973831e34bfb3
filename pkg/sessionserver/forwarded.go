package sessionserver

import (
	"errors"
	"fmt"
)

// ErrForeignTxn is a transaction a member forwarded that it may not propose.
var ErrForeignTxn = errors.New("sessionserver: a forwarded transaction that its sender may not propose")

// CheckForwarded vets a transaction that member from forwarded to the leader
// before it enters the log (StateMachine). A member proposes for its own clients only: the
// transaction must decode and name from as its origin, so the identities it
// carries (a connection's auth ids, the superuser flag) are those that
// member's session handling gave. Transactions that only the log itself
// writes (the /zookeeper/config rewrite of a membership change) or only the
// leader proposes (session expiry) are never forwarded.
func (s *Server) CheckForwarded(from uint64, data []byte) error {
	t, err := decodeTxn(data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrForeignTxn, err)
	}
	switch {
	case t.Origin != from:
		return fmt.Errorf("%w: it names member %d as its origin", ErrForeignTxn, t.Origin)
	case t.Type == txnSetConfig || t.Type == txnCloseSessions:
		return fmt.Errorf("%w: type %d is the log's or the leader's own", ErrForeignTxn, t.Type)
	}
	return nil
}
