package transport

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// recorder is the Raft side of a transport under test: it records what
// reaches it.
type recorder struct {
	got         chan pb.Message
	unreachable chan uint64
	snapshots   chan raft.SnapshotStatus
	process     func(ctx context.Context, m pb.Message) error
}

func newRecorder() *recorder {
	return &recorder{got: make(chan pb.Message, 100), unreachable: make(chan uint64, 1000), snapshots: make(chan raft.SnapshotStatus, 10)}
}

func (r *recorder) Process(ctx context.Context, m pb.Message) error {
	if r.process != nil {
		return r.process(ctx, m)
	}
	r.got <- m
	return nil
}
func (r *recorder) ReportUnreachable(id uint64) {
	select {
	case r.unreachable <- id:
	default:
	}
}
func (r *recorder) ReportSnapshot(_ uint64, s raft.SnapshotStatus) { r.snapshots <- s }

// roster is the Members side: a fixed configuration.
type roster struct {
	mu       sync.Mutex
	members  map[uint64]string // id → address
	gone     map[uint64]bool   // removed ids
	removals chan string       // Removed calls
	propose  func(from uint64, m *pb.Message) error
}

func newRoster() *roster {
	return &roster{members: map[uint64]string{}, gone: map[uint64]bool{}, removals: make(chan string, 10)}
}

func (r *roster) set(id uint64, addr string) {
	r.mu.Lock()
	r.members[id] = addr
	r.mu.Unlock()
}

func (r *roster) Admit(from uint64, proven bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone[from] {
		return fmt.Errorf("%w: member %d", ErrRemoved, from)
	}
	if _, ok := r.members[from]; !ok {
		return fmt.Errorf("member %d is not in the configuration", from)
	}
	return nil
}

func (r *roster) Address(id uint64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.members[id]
}

func (r *roster) CheckProposal(from uint64, m *pb.Message) error {
	if r.propose != nil {
		return r.propose(from, m)
	}
	return nil
}

func (r *roster) Removed(by uint64, reason string) { r.removals <- fmt.Sprintf("%d: %s", by, reason) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// node is a transport under test with its Raft and Members sides.
type node struct {
	t   *Transport
	raf *recorder
	mem *roster
}

func newNode(t *testing.T, id uint64, ensemble string, opts ...func(*Config)) *node {
	t.Helper()
	n := &node{raf: newRecorder(), mem: newRoster()}
	cfg := Config{ID: id, Ensemble: ensemble, Listen: "127.0.0.1:0", Raft: n.raf, Members: n.mem, Logger: quiet()}
	for _, o := range opts {
		o(&cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.t = tr
	n.mem.set(id, tr.Addr())
	tr.Start()
	t.Cleanup(tr.Close)
	return n
}

// knows makes each node know the others as members.
func knows(ns ...*node) {
	for _, a := range ns {
		for _, b := range ns {
			a.mem.set(b.t.cfg.ID, b.t.Addr())
		}
	}
}

func withSecret(s string) func(*Config) { return func(c *Config) { c.Secret = []byte(s) } }

func withTLS(f certs.Files) func(*Config) { return func(c *Config) { c.TLS = f } }

func heartbeat(from, to uint64) pb.Message {
	return pb.Message{Type: pb.MsgHeartbeat, From: from, To: to, Term: 1}
}

// expect waits for a message on the recorder.
func (r *recorder) expect(t *testing.T, what string) pb.Message {
	t.Helper()
	select {
	case m := <-r.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing delivered", what)
	}
	return pb.Message{}
}

// none checks that nothing was delivered.
func (r *recorder) none(t *testing.T, what string) {
	t.Helper()
	select {
	case m := <-r.got:
		t.Fatalf("%s: delivered %v from %d", what, m.Type, m.From)
	default:
	}
}
