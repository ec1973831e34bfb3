package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// Raft is the member's Raft node, as the transport sees it.
type Raft interface {
	// Process hands Raft a message from a peer.
	Process(ctx context.Context, m pb.Message) error
	ReportUnreachable(id uint64)
	ReportSnapshot(id uint64, status raft.SnapshotStatus)
}

// ErrRemoved, returned by Members.Admit, tells the peer it was removed.
var ErrRemoved = errors.New("transport: removed from the configuration")

// Members is what the transport asks about the configuration.
type Members interface {
	// Admit decides whether member from may keep a stream to this member.
	// proven says whether from is the id its certificate names (mutual TLS);
	// otherwise the peer is at most known to hold the ensemble's credential.
	// An error wrapping ErrRemoved tells the peer it was removed.
	Admit(from uint64, proven bool) error
	// Address is where member id is reached ("" when unknown): streams are
	// dialed there, and it is the host name a certificate without a
	// zkensemble identity must name.
	Address(id uint64) string
	// CheckProposal vets a proposal a peer forwards before Raft sees it.
	CheckProposal(from uint64, m *pb.Message) error
	// Removed is called when an authenticated peer says this member was
	// removed from the configuration.
	Removed(by uint64, reason string)
}

// Config configures a member's transport.
type Config struct {
	ID       uint64
	Ensemble string // the ensemble id every hello must carry ("" only in tests)
	Listen   string
	// TLS turns on mutual TLS between members: a peer's certificate must
	// chain to the bundle and name this ensemble and the member id it claims.
	TLS certs.Files
	// HostnameVerification applies to certificates without a zkensemble
	// identity (made for ZooKeeper by hand): they must name the host of the
	// member's address (ZooKeeper's ssl.quorum.hostnameVerification).
	HostnameVerification bool
	// Secret is a credential shared by the members (development without
	// TLS): both ends prove they know it before a stream carries anything.
	Secret []byte
	// MaxFrame and MaxSnapshot bound what a peer can make this member hold
	// (defaults DefaultMaxFrame, DefaultMaxSnapshot).
	MaxFrame    int
	MaxSnapshot uint64
	Raft        Raft
	Members     Members
	Logger      *slog.Logger
	// OnStream, when set, is told when an authenticated stream from member
	// id starts (up) and ends: a member killed takes its streams with it,
	// which a member notices long before its messages are overdue.
	OnStream func(id uint64, up bool)
}

// Transport carries frames between members: one outbound stream per peer
// (peer.go) and the inbound streams peers open (stream.go).
type Transport struct {
	cfg       Config
	log       *slog.Logger
	ln        net.Listener
	serverTLS *tls.Config

	hmu      sync.Mutex
	handlers map[Kind]func(from uint64, payload []byte)

	mu      sync.Mutex
	peers   map[uint64]*peer
	inbound map[net.Conn]struct{}
	drop    func(from, to uint64) bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// Mode says how the transport authenticates peers.
func (c *Config) Mode() string {
	switch {
	case c.TLS.Enabled():
		return "mutual TLS"
	case len(c.Secret) > 0:
		return "shared secret, not encrypted"
	}
	return "insecure: neither authenticated nor encrypted"
}

// New listens for peers; Start begins serving them.
func New(cfg Config) (*Transport, error) {
	if cfg.Raft == nil || cfg.Members == nil {
		return nil, errors.New("transport: Raft and Members are required")
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.MaxSnapshot == 0 {
		cfg.MaxSnapshot = DefaultMaxSnapshot
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &Transport{cfg: cfg, log: cfg.Logger, peers: map[uint64]*peer{}, inbound: map[net.Conn]struct{}{}, handlers: map[Kind]func(uint64, []byte){}, done: make(chan struct{})}
	if cfg.TLS.Enabled() {
		var err error
		// The peer's identity is checked against its hello (stream.go).
		if t.serverTLS, err = cfg.TLS.ServerConfig(true, nil); err != nil {
			return nil, fmt.Errorf("transport: member TLS: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	t.ln = ln
	return t, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() string { return t.ln.Addr().String() }

// Handle registers the receiver of frames of a member-defined kind; from is
// the stream's authenticated member. Register before Start.
func (t *Transport) Handle(kind Kind, h func(from uint64, payload []byte)) {
	if kind == KindRaft || kind == KindSnapshot {
		panic("transport: kind reserved")
	}
	t.hmu.Lock()
	t.handlers[kind] = h
	t.hmu.Unlock()
}

func (t *Transport) handler(kind Kind) func(uint64, []byte) {
	t.hmu.Lock()
	defer t.hmu.Unlock()
	return t.handlers[kind]
}

// Start accepts peers' streams.
func (t *Transport) Start() {
	t.log.Info("ensemble: member transport", "listen", t.Addr(), "mode", t.cfg.Mode())
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := t.ln.Accept()
			if err != nil {
				return
			}
			t.wg.Add(1)
			go func() { defer t.wg.Done(); t.serveConn(c) }()
		}
	}()
}

// AddPeer starts a stream to member id at addr (or moves it there).
func (t *Transport) AddPeer(id uint64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id == t.cfg.ID {
		return
	}
	if p, ok := t.peers[id]; ok {
		if p.retire != nil {
			p.retire.Stop()
			p.retire = nil
		}
		if p.addr == addr {
			return
		}
		close(p.stop)
	}
	p := newPeer(id, addr)
	t.peers[id] = p
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.runPeer(p) }()
}

// RemovePeer stops the stream to a member.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		if p.retire != nil {
			p.retire.Stop()
		}
		close(p.stop)
		delete(t.peers, id)
	}
}

// RetirePeer stops the stream to a member after grace, so that what is
// queued for it still goes out: a member removed from the configuration
// learns that way the commit index of its removal, and the answer to a
// reconfig it asked for. AddPeer before then keeps the stream.
func (t *Transport) RetirePeer(id uint64, grace time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.peers[id]
	if !ok || p.retire != nil {
		return
	}
	p.retire = time.AfterFunc(grace, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.peers[id] == p && p.retire != nil {
			close(p.stop)
			delete(t.peers, id)
		}
	})
}

// peerFor is the stream to member id, started on first use when Members
// knows its address.
func (t *Transport) peerFor(id uint64) *peer {
	t.mu.Lock()
	p := t.peers[id]
	t.mu.Unlock()
	if p != nil {
		return p
	}
	if addr := t.cfg.Members.Address(id); addr != "" {
		t.AddPeer(id, addr)
		t.mu.Lock()
		p = t.peers[id]
		t.mu.Unlock()
	}
	return p
}

// Send queues Raft messages; a full queue drops them (Raft retransmits) and
// reports the peer unreachable.
func (t *Transport) Send(msgs []pb.Message) {
	for _, m := range msgs {
		if m.To == 0 || t.dropped(m.From, m.To) {
			continue
		}
		p := t.peerFor(m.To)
		if p == nil {
			continue
		}
		select {
		case p.q <- envelope{kind: KindRaft, m: m}:
		default:
			t.cfg.Raft.ReportUnreachable(m.To)
			if m.Type == pb.MsgSnap {
				t.cfg.Raft.ReportSnapshot(m.To, raft.SnapshotFailure)
			}
		}
	}
}

// SendRaw queues a frame of a member-defined kind; it is dropped when the
// queue is full or the link is cut.
func (t *Transport) SendRaw(to uint64, kind Kind, payload []byte) {
	if kind == KindRaft || kind == KindSnapshot {
		panic("transport: kind reserved")
	}
	if t.dropped(t.cfg.ID, to) {
		return
	}
	p := t.peerFor(to)
	if p == nil {
		return
	}
	select {
	case p.q <- envelope{kind: kind, raw: payload}:
	default:
	}
}

// Close stops every stream and the listener.
func (t *Transport) Close() {
	select {
	case <-t.done:
		return
	default:
	}
	close(t.done)
	_ = t.ln.Close()
	t.wg.Wait()
}
