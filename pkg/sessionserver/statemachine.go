package sessionserver

import (
	"log/slog"
	"sync/atomic"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// stateMachine is the replicated state (ZooKeeper's ZKDatabase): the tree,
// the session table, the zxid position and the password secret. Only apply
// and restore change it, under the tree's write lock; it knows nothing of
// connections. What applying means for this member's clients (a waiting
// request answered, a connection closed) goes out through effects.
type stateMachine struct {
	id     uint64 // this member: transactions it proposed are answered here
	logger *slog.Logger
	// tracker is told of sessions that applying creates and ends.
	tracker         SessionTracker
	reconfigEnabled bool

	tree         *datatree.Tree
	sessionTable map[int64]int32
	term         uint64
	counter      uint32
	lastZxid     atomic.Int64
	pw           passwordState
}

// effects is how applying reaches this member's connections; the Server
// implements it. Its methods run with the tree write-locked, in log order.
type effects interface {
	// answer hands the outcome to this member's request seq and reports
	// whether a request took it.
	answer(seq uint64, o outcome) bool
	// sessionEnded closes sid's connection on this member, if any.
	sessionEnded(sid int64)
	// sessionMoved closes sid's connection here: it reattached to member to.
	sessionMoved(sid int64, to uint64)
	// applied counts one transaction that used a zxid.
	applied()
}

// outcomeKind tells what a transaction's outcome answers.
type outcomeKind uint8

const (
	outcomeNone    outcomeKind = iota // nothing waits for it (expiry, config, containers)
	outcomeSession                    // a createSession: the handshake goes on
	outcomeReply                      // a client request: its reply
)

// outcome is what applying one transaction tells the request that proposed it.
type outcome struct {
	kind outcomeKind
	cxid int32
	zxid int64
	code wire.ErrCode
	body wire.Record
	// closeAfter: the connection closes once the reply is sent (closeSession).
	closeAfter bool
}

func newStateMachine(cfg Config, id uint64, logger *slog.Logger, tracker SessionTracker) *stateMachine {
	sm := &stateMachine{
		id:              id,
		logger:          logger,
		tracker:         tracker,
		reconfigEnabled: cfg.ReconfigEnabled,
		tree:            datatree.New(),
		sessionTable:    map[int64]int32{},
		pw:              newPasswordState(),
	}
	sm.tree.ExtendedTypes = cfg.ExtendedTypes
	sm.tree.Providers = datatree.Providers{SASL: cfg.Client.SASLProvider, X509: cfg.Client.X509Provider}
	return sm
}

// sessionInfos lists the replicated session table.
func (sm *stateMachine) sessionInfos() []sessions.Info {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	out := make([]sessions.Info, 0, len(sm.sessionTable))
	for sid, to := range sm.sessionTable {
		out = append(out, sessions.Info{ID: sid, Timeout: to})
	}
	return out
}

// sessionTimeouts copies the session table (id → timeout).
func (sm *stateMachine) sessionTimeouts() map[int64]int32 {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	out := make(map[int64]int32, len(sm.sessionTable))
	for k, v := range sm.sessionTable {
		out[k] = v
	}
	return out
}

// configVersion is the zxid of the change that wrote /zookeeper/config.
func (sm *stateMachine) configVersion() int64 {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	_, st := sm.tree.Config()
	return st.Mzxid
}
