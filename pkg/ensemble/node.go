package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/ensemble/transport"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Errors a member reports about itself.
var (
	// ErrRemoved: this member was removed from the configuration; its data
	// directory must not be used to rejoin.
	ErrRemoved = errors.New("ensemble: this member was removed from the ensemble's configuration")
	// ErrNoLeader: no leader became known in time to take a proposal.
	ErrNoLeader = errors.New("ensemble: no leader")
)

// removedMarker is written into DataDir when the member learns that it was
// removed, so a restart with the old state is refused at once.
const removedMarker = "removed"

// Node is one member of a replicated log. It implements sessionserver.Log.
type Node struct {
	cfg       Config
	logger    *slog.Logger
	rn        raft.Node
	store     *storage
	raftStore *raftStorage // logtrim.go: what Raft reads
	transport *transport.Transport
	sm        sessionserver.StateMachine

	// Owned by the apply goroutine.
	confState     pb.ConfState
	snapshotIndex uint64

	appliedIndex atomic.Uint64
	commitIndex  atomic.Uint64 // highest commit index Raft reported
	// advanced is the last committed index Raft was told is applied
	// (Advance): a configuration change proposed before Raft knows the
	// previous one applied is dropped (membership.go).
	advanced  atomic.Uint64
	applyMu   sync.Mutex
	applyCond *sync.Cond
	applyc    chan *applyJob

	reads readIndexes
	props *proposer // proposer.go
	// transferring counts Transfer calls under way: Raft drops proposals
	// while it hands leadership over, so the proposer holds them meanwhile.
	transferring atomic.Int32
	transferMu   sync.RWMutex // Transfer counts itself in under the write lock

	rcalls     reconfigCalls
	reconfigMu sync.Mutex // one reconfig opcode at a time (others: ReconfigInProgress)
	confMu     sync.Mutex // one membership change at a time
	memberMu   sync.Mutex
	members    map[uint64]MemberInfo
	// tombstones are members removed from the configuration (id → index of
	// the removal); a tombstoned member that comes back is told so.
	tombstones map[uint64]uint64
	removedAt  map[uint64]time.Time // when this member applied each removal (not replicated)
	removed    atomic.Bool

	loss dataLoss

	leader         atomic.Uint64
	onLeaderChange func(leader uint64)
	// term is Raft's current term, appliedTerm the term of the last entry
	// applied (quorum.go: caught up with the leader's term).
	term, appliedTerm atomic.Uint64
	quorum            quorum
	changes           changes
	stats             loopStats
	metrics           *nodeMetrics // metrics.go
	leaderAtMu        sync.Mutex

	stop     chan struct{}
	done     chan struct{}
	errMu    sync.Mutex
	err      error
	stopOnce sync.Once
}

// Start is New followed by Run.
func Start(cfg Config, sm sessionserver.StateMachine) (*Node, error) {
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := n.Run(sm); err != nil {
		return nil, err
	}
	return n, nil
}

// New opens (or creates) the member's storage and listens for peers. The
// node can be handed to the session server as its Log before Run starts it.
func New(cfg Config) (*Node, error) {
	cfg.setDefaults()
	if cfg.ID == 0 || cfg.ID > 255 {
		return nil, fmt.Errorf("ensemble: member id %d out of range 1..255", cfg.ID)
	}
	listen, ok := cfg.Peers[cfg.ID]
	if cfg.ListenAddr != "" {
		listen = cfg.ListenAddr
	}
	if !ok {
		return nil, fmt.Errorf("ensemble: member %d is not in the peer list", cfg.ID)
	}
	if b, err := os.ReadFile(filepath.Join(cfg.DataDir, removedMarker)); err == nil {
		return nil, fmt.Errorf("%w: %s says %q; refusing to start with stale state (remove the directory to join again as a new member)",
			ErrRemoved, filepath.Join(cfg.DataDir, removedMarker), string(b))
	}
	store, err := openStorage(cfg.DataDir, cfg.WALDir, cfg.SnapshotRetain, zapLogger(cfg.Logger.With("member", cfg.ID)))
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, logger: cfg.Logger.With("member", cfg.ID), store: store, raftStore: &raftStorage{MemoryStorage: store.mem},
		members: map[uint64]MemberInfo{}, tombstones: map[uint64]uint64{}, removedAt: map[uint64]time.Time{},
		reads:   readIndexes{waits: map[uint64]chan uint64{}},
		props:   newProposer(),
		metrics: newNodeMetrics(),
		stop:    make(chan struct{}), done: make(chan struct{})}
	n.applyCond = sync.NewCond(&n.applyMu)
	n.quorum.init(time.Now())
	if hs, _, err := store.mem.InitialState(); err == nil {
		n.term.Store(hs.Term)
	}
	t, err := transport.New(transport.Config{
		OnStream: n.streamChanged,
		ID:       cfg.ID, Ensemble: cfg.EnsembleID, Listen: listen,
		TLS: cfg.TLS, HostnameVerification: cfg.HostnameVerification, Secret: cfg.Secret,
		MaxFrame: cfg.maxFrame(), Raft: raftPeer{n}, Members: membersPeer{n}, Logger: n.logger,
	})
	if err != nil {
		_ = store.close()
		return nil, err
	}
	n.transport = t
	return n, nil
}

// OnLeaderChange registers f, called (from the Raft loop; it must not block)
// whenever the leader this member knows changes, 0 meaning none. A proposal
// forwarded to a leader that lost its office may be dropped, so the session
// server fails the requests still waiting for their transactions (their
// clients see a connection loss, as with ZooKeeper). Call before Run.
func (n *Node) OnLeaderChange(f func(leader uint64)) { n.onLeaderChange = f }

// Run restores sm from the newest snapshot, starts Raft (replaying the log
// after the snapshot) and the transport, and applies committed entries to sm.
func (n *Node) Run(sm sessionserver.StateMachine) error {
	cfg, store, t := n.cfg, n.store, n.transport
	n.sm = sm
	if s := store.snapshot; s != nil {
		data, err := n.decodeSnapshot(s.Data)
		if err == nil {
			err = sm.Restore(data)
		}
		if err != nil {
			_ = store.close()
			t.Close()
			return fmt.Errorf("ensemble: restoring the snapshot: %w", err)
		}
		n.confState = s.Metadata.ConfState
		n.appliedIndex.Store(s.Metadata.Index)
		n.appliedTerm.Store(s.Metadata.Term)
		n.advanced.Store(s.Metadata.Index)
		n.snapshotIndex = s.Metadata.Index
	}
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   n.raftStore,
		Applied:                   n.appliedIndex.Load(),
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		MaxCommittedSizePerReady:  8 << 20,
		CheckQuorum:               true,
		PreVote:                   true,
		Logger:                    raftLogger{n.logger},
	}
	if store.existed || cfg.Join {
		// A joining member starts empty and learns the configuration from the leader.
		n.rn = raft.RestartNode(rc)
	} else {
		var peers []raft.Peer
		ids := make([]uint64, 0, len(cfg.Peers))
		for id := range cfg.Peers {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			// The same bootstrap entries on every member (no clock in them).
			cctx, _ := json.Marshal(ccContext{Member: MemberInfo{ID: id, PeerAddr: cfg.Peers[id], ClientAddr: cfg.ClientAddrs[id], ElectionPort: cfg.ElectionPorts[id]}})
			peers = append(peers, raft.Peer{ID: id, Context: cctx})
		}
		n.rn = raft.StartNode(rc, peers)
	}
	for id, addr := range cfg.Peers {
		t.AddPeer(id, addr)
	}
	t.Start()
	n.applyc = make(chan *applyJob, 64)
	applied := make(chan struct{})
	go func() { defer close(applied); n.applyLoop() }()
	go n.raftLoop(applied)
	go n.proposeLoop()
	if len(cfg.Peers) == 1 && store.existed {
		// A restarted ensemble of one need not wait out an election timeout. (A
		// new one must first apply its bootstrap configuration, so Raft elects
		// it after the timeout.)
		go func() { _ = n.rn.Campaign(context.Background()) }()
	}
	return nil
}

// WaitLeader blocks until the member knows a leader.
func (n *Node) WaitLeader(ctx context.Context) error {
	return n.waitUntil(ctx, func() bool { return n.leader.Load() != 0 })
}

// Transport exposes the member's transport (tests inject faults through it).
func (n *Node) Transport() *transport.Transport { return n.transport }

// ID is the member id.
func (n *Node) ID() uint64 { return n.cfg.ID }

// Leader is the member id of the current leader, 0 when unknown.
func (n *Node) Leader() uint64 { return n.leader.Load() }

// IsLeader reports whether this member leads.
func (n *Node) IsLeader() bool { return n.leader.Load() == n.cfg.ID }

// Term is the Raft term this member is in (sessionserver.Terms): a
// proposal made now goes to the leader of this term, or a later one.
func (n *Node) Term() uint64 { return n.term.Load() }

// AppliedIndex is the last log index applied to the state machine.
func (n *Node) AppliedIndex() uint64 { return n.appliedIndex.Load() }

// Status is Raft's view of the member (leader, term, progress of followers).
func (n *Node) Status() raft.Status { return n.rn.Status() }

// Done is closed when the member has stopped (Stop, a storage failure, or
// its removal learned from a peer); Err then tells why.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err is why the member stopped on its own (nil while running or after Stop).
func (n *Node) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.err
}

func (n *Node) closedErr() error {
	if err := n.Err(); err != nil {
		return fmt.Errorf("%w: %w", sessionserver.ErrLogClosed, err)
	}
	return sessionserver.ErrLogClosed
}

// fail stops the member on its own, recording why.
func (n *Node) fail(err error) {
	n.errMu.Lock()
	if n.err == nil {
		n.err = err
	}
	n.errMu.Unlock()
	n.stopOnce.Do(func() { close(n.stop) })
}

// Propose submits a transaction (sessionserver.Log) and returns once it was
// handed to Raft with the others proposed meanwhile (proposer.go). A
// follower forwards it to the leader as Raft would (a MsgProp), but through
// the transport itself: raft.Node stops taking proposals when a member
// applies its own removal and takes them again only when the leader
// changes, so a member re-added under an id used before (it replays that
// removal while catching up) could never propose. Without a known leader
// Propose waits up to two election timeouts for one, then fails with
// ErrNoLeader, so the session server drops the connection and the client
// retries on another member.
func (n *Node) Propose(ctx context.Context, data []byte) error {
	if err := n.awaitLeader(ctx); err != nil {
		return err
	}
	b := n.props.add(data)
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return n.closedErr()
	}
}

// awaitLeader returns once a leader is known, waiting up to two election
// timeouts for one.
func (n *Node) awaitLeader(ctx context.Context) error {
	select {
	case <-n.done:
		return n.closedErr()
	default:
	}
	if n.removed.Load() {
		return fmt.Errorf("%w: not taking proposals", ErrRemoved)
	}
	if n.leader.Load() != 0 {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, 2*n.cfg.electionTimeout())
	defer cancel()
	err := n.waitUntil(pctx, func() bool { return n.leader.Load() != 0 || n.removed.Load() })
	switch {
	case err == nil && n.removed.Load():
		return fmt.Errorf("%w: not taking proposals", ErrRemoved)
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case pctx.Err() != nil:
		st := n.rn.Status()
		n.logger.Debug("ensemble: proposal found no leader", "raftLead", st.Lead, "raftState", st.RaftState.String(), "term", st.Term)
		return ErrNoLeader
	default:
		return err
	}
}

// Stop ends the member: Raft, transport and storage.
func (n *Node) Stop() {
	n.stopOnce.Do(func() { close(n.stop) })
	<-n.done
}

// raftLogger sends Raft's log lines to slog at debug level (warnings and
// errors keep their level).
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) Debug(v ...any)                   { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(format string, v ...any)   { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Info(v ...any)                    { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(format string, v ...any)    { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Warning(v ...any)                 { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(format string, v ...any) { r.l.Warn(fmt.Sprintf(format, v...)) }
func (r raftLogger) Error(v ...any)                   { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(format string, v ...any)   { r.l.Error(fmt.Sprintf(format, v...)) }
func (r raftLogger) Fatal(v ...any)                   { r.l.Error(fmt.Sprint(v...)); panic(fmt.Sprint(v...)) }
func (r raftLogger) Fatalf(format string, v ...any) {
	r.l.Error(fmt.Sprintf(format, v...))
	panic(fmt.Sprintf(format, v...))
}
func (r raftLogger) Panic(v ...any)                 { panic(fmt.Sprint(v...)) }
func (r raftLogger) Panicf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
