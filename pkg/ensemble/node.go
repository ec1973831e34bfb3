package ensemble

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Config configures a member.
type Config struct {
	// ID is the member id (ZooKeeper's myid), 1..255.
	ID uint64
	// Peers maps every initial member's id to its replication address
	// (host:port). Peers[ID] is where this member listens.
	Peers map[uint64]string
	// ClientAddrs are the initial members' client addresses (for /zookeeper/config).
	ClientAddrs map[uint64]string
	// PublishConfig keeps /zookeeper/config in step with the membership. Off,
	// it stays empty, as on a standalone ZooKeeper (an ensemble of one).
	PublishConfig bool
	// Join starts a new member with an empty log that waits to be added as a
	// learner by the leader (Peers lists the members to reach).
	Join bool
	// DataDir holds the WAL and snapshots.
	DataDir string
	// TickInterval is Raft's logical clock; elections take ElectionTicks of it.
	TickInterval   time.Duration
	ElectionTicks  int
	HeartbeatTicks int
	// SnapshotCount is how many applied entries trigger a snapshot (ZooKeeper's snapCount).
	SnapshotCount uint64
	Logger        *slog.Logger
}

func (c *Config) setDefaults() {
	if c.TickInterval == 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = 1
	}
	if c.SnapshotCount == 0 {
		c.SnapshotCount = 100000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Node is one member of a replicated log. It implements sessionserver.Log.
type Node struct {
	cfg       Config
	log       *slog.Logger
	rn        raft.Node
	store     *storage
	transport *Transport
	sm        sessionserver.StateMachine

	confState     pb.ConfState
	appliedIndex  atomic.Uint64
	snapshotIndex uint64

	applyMu   sync.Mutex
	applyCond *sync.Cond

	readMu    sync.Mutex
	readSeq   uint64
	readWaits map[uint64]chan uint64

	rcalls   reconfigCalls
	memberMu sync.Mutex
	members  map[uint64]MemberInfo
	removed  atomic.Bool

	leader atomic.Uint64
	stop   chan struct{}
	done   chan struct{}
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
	if !ok {
		return nil, fmt.Errorf("ensemble: member %d is not in the peer list", cfg.ID)
	}
	store, err := openStorage(cfg.DataDir, zap.NewNop())
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("member", cfg.ID), store: store, members: map[uint64]MemberInfo{},
		readWaits: map[uint64]chan uint64{}, stop: make(chan struct{}), done: make(chan struct{})}
	n.applyCond = sync.NewCond(&n.applyMu)
	t, err := newTransport(cfg.ID, listen, n.log)
	if err != nil {
		store.close()
		return nil, err
	}
	n.transport = t
	return n, nil
}

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
			store.close()
			t.close()
			return fmt.Errorf("ensemble: restoring the snapshot: %w", err)
		}
		n.confState = s.Metadata.ConfState
		n.appliedIndex.Store(s.Metadata.Index)
		n.snapshotIndex = s.Metadata.Index
	}
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   store.mem,
		Applied:                   n.appliedIndex.Load(),
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		Logger:                    raftLogger{n.log},
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
			cctx, _ := json.Marshal(ccContext{Member: MemberInfo{ID: id, PeerAddr: cfg.Peers[id], ClientAddr: cfg.ClientAddrs[id]}})
			peers = append(peers, raft.Peer{ID: id, Context: cctx})
		}
		n.rn = raft.StartNode(rc, peers)
	}
	t.recv = n.rn.Step
	t.report = func(to uint64, m pb.Message, err error) {
		if m.Type == pb.MsgSnap {
			status := raft.SnapshotFinish
			if err != nil {
				status = raft.SnapshotFailure
			}
			n.rn.ReportSnapshot(to, status)
		}
		if err != nil {
			n.rn.ReportUnreachable(to)
		}
	}
	for id, addr := range cfg.Peers {
		t.AddPeer(id, addr)
	}
	t.start()
	go n.run()
	if len(cfg.Peers) == 1 && store.existed {
		// A restarted ensemble of one need not wait out an election timeout. (A
		// new one must first apply its bootstrap configuration, so Raft elects
		// it after the timeout.)
		go n.rn.Campaign(context.Background())
	}
	return nil
}

// WaitLeader blocks until the member knows a leader.
func (n *Node) WaitLeader(ctx context.Context) error {
	for n.leader.Load() == 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
			return sessionserver.ErrLogClosed
		case <-time.After(n.cfg.TickInterval):
		}
	}
	return nil
}

// Transport exposes the member's transport (tests inject faults through it).
func (n *Node) Transport() *Transport { return n.transport }

// ID is the member id.
func (n *Node) ID() uint64 { return n.cfg.ID }

// Leader is the member id of the current leader, 0 when unknown.
func (n *Node) Leader() uint64 { return n.leader.Load() }

// IsLeader reports whether this member leads.
func (n *Node) IsLeader() bool { return n.leader.Load() == n.cfg.ID }

// AppliedIndex is the last log index applied to the state machine.
func (n *Node) AppliedIndex() uint64 { return n.appliedIndex.Load() }

// Status is Raft's view of the member (leader, term, progress of followers).
func (n *Node) Status() raft.Status { return n.rn.Status() }

// Propose submits a transaction (sessionserver.Log). Raft forwards it to the
// leader; it fails when no leader is known.
func (n *Node) Propose(ctx context.Context, data []byte) error {
	select {
	case <-n.done:
		return sessionserver.ErrLogClosed
	default:
	}
	return n.rn.Propose(ctx, data)
}

// Barrier waits until this member has applied everything the leader had
// committed when it was called (ReadIndex): ZooKeeper's sync.
func (n *Node) Barrier(ctx context.Context) error {
	n.readMu.Lock()
	n.readSeq++
	seq := n.readSeq
	ch := make(chan uint64, 1)
	n.readWaits[seq] = ch
	n.readMu.Unlock()
	defer func() {
		n.readMu.Lock()
		delete(n.readWaits, seq)
		n.readMu.Unlock()
	}()
	var rctx [8]byte
	binary.BigEndian.PutUint64(rctx[:], seq)
	if err := n.rn.ReadIndex(ctx, rctx[:]); err != nil {
		return err
	}
	var index uint64
	select {
	case index = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return sessionserver.ErrLogClosed
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
			return sessionserver.ErrLogClosed
		default:
		}
		n.applyCond.Wait()
	}
	return nil
}

// TransferLeadership asks Raft to hand leadership to transferee.
func (n *Node) TransferLeadership(ctx context.Context, transferee uint64) {
	n.rn.TransferLeadership(ctx, n.leader.Load(), transferee)
}

// Stop ends the member: Raft, transport and storage.
func (n *Node) Stop() {
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	<-n.done
}

// run is the Raft loop (etcd's raftexample order): persist, send, apply, advance.
func (n *Node) run() {
	defer func() {
		n.rn.Stop()
		n.transport.close()
		n.store.close()
		close(n.done)
		n.applyMu.Lock()
		n.applyCond.Broadcast()
		n.applyMu.Unlock()
	}()
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-ticker.C:
			n.rn.Tick()
		case rd := <-n.rn.Ready():
			if rd.SoftState != nil {
				n.leader.Store(rd.SoftState.Lead)
			}
			if err := n.store.save(&rd); err != nil {
				// Without durable storage the member must not go on acknowledging.
				n.log.Error("ensemble: storage failed; stopping the member", "err", err)
				return
			}
			n.transport.Send(rd.Messages)
			if !raft.IsEmptySnap(rd.Snapshot) {
				data, err := n.decodeSnapshot(rd.Snapshot.Data)
				if err == nil {
					err = n.sm.Restore(data)
				}
				if err != nil {
					n.log.Error("ensemble: restoring a snapshot from the leader failed", "err", err)
					return
				}
				n.confState = rd.Snapshot.Metadata.ConfState
				n.snapshotIndex = rd.Snapshot.Metadata.Index
				n.setApplied(rd.Snapshot.Metadata.Index)
			}
			n.applyCommitted(rd.CommittedEntries)
			for _, rs := range rd.ReadStates {
				if len(rs.RequestCtx) != 8 {
					continue
				}
				seq := binary.BigEndian.Uint64(rs.RequestCtx)
				n.readMu.Lock()
				if ch := n.readWaits[seq]; ch != nil {
					ch <- rs.Index
				}
				n.readMu.Unlock()
			}
			n.maybeSnapshot()
			n.rn.Advance()
		}
	}
}

func (n *Node) setApplied(i uint64) {
	n.applyMu.Lock()
	n.appliedIndex.Store(i)
	n.applyCond.Broadcast()
	n.applyMu.Unlock()
}

// applyCommitted hands committed transactions to the state machine in one
// batch, and applies configuration changes to Raft and the transport.
func (n *Node) applyCommitted(ents []pb.Entry) {
	if len(ents) == 0 {
		return
	}
	batch := make([]sessionserver.Entry, 0, len(ents))
	last := uint64(0)
	for _, e := range ents {
		if e.Index <= n.appliedIndex.Load() {
			continue
		}
		last = e.Index
		switch e.Type {
		case pb.EntryNormal:
			if len(e.Data) > 0 { // a new leader's empty entry is not a transaction
				batch = append(batch, sessionserver.Entry{Term: e.Term, Index: e.Index, Data: e.Data})
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
		n.setApplied(last)
	}
}

// maybeSnapshot snapshots the state machine every SnapshotCount entries and
// compacts the in-memory log, keeping a tail for slow followers.
func (n *Node) maybeSnapshot() {
	applied := n.appliedIndex.Load()
	if applied-n.snapshotIndex < n.cfg.SnapshotCount {
		return
	}
	smData, err := n.sm.Snapshot()
	if err != nil {
		n.log.Error("ensemble: snapshot failed", "err", err)
		return
	}
	data := n.encodeSnapshot(smData)
	snap, err := n.store.mem.CreateSnapshot(applied, &n.confState, data)
	if err != nil {
		if !errors.Is(err, raft.ErrSnapOutOfDate) {
			n.log.Error("ensemble: creating the snapshot", "err", err)
		}
		return
	}
	if err := n.store.saveSnapshot(snap); err != nil {
		n.log.Error("ensemble: saving the snapshot", "err", err)
		return
	}
	const keep = 10000
	if applied > keep {
		if err := n.store.mem.Compact(applied - keep); err != nil && !errors.Is(err, raft.ErrCompacted) {
			n.log.Warn("ensemble: compacting the log", "err", err)
		}
	}
	n.snapshotIndex = applied
	n.log.Info("ensemble: snapshot", "index", applied, "bytes", len(data))
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
