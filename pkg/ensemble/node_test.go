package ensemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// kv is a minimal state machine: "key=value" entries.
type kv struct {
	mu       sync.Mutex
	data     map[string]string
	applied  []sessionserver.Entry
	configs  int // /zookeeper/config transactions the log inserted
	restores int // snapshots restored
	// terms: each TermBegan, with the newest term applied before it.
	terms []termMark
}

type termMark struct{ term, appliedTerm uint64 }

// TermBegan (sessionserver.TermObserver) records where a new leader's term began.
func (s *kv) TermBegan(term uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := termMark{term: term}
	if n := len(s.applied); n > 0 {
		m.appliedTerm = s.applied[n-1].Term
	}
	s.terms = append(s.terms, m)
}

// configTxnPrefix is how a configuration transaction starts (its type, -100).
var configTxnPrefix = sessionserver.ConfigTxn(nil, 0)[:4]

func newKV() *kv { return &kv{data: map[string]string{}} }

func (s *kv) Apply(entries []sessionserver.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if bytes.HasPrefix(e.Data, configTxnPrefix) {
			s.configs++
			continue
		}
		k, v, _ := strings.Cut(string(e.Data), "=")
		s.data[k] = v
		s.applied = append(s.applied, sessionserver.Entry{Term: e.Term, Index: e.Index})
	}
}

func (s *kv) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.data)
}

func (s *kv) Restore(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = map[string]string{}
	s.restores++
	return json.Unmarshal(b, &s.data)
}

// CheckForwarded: members forward "key=value" entries; anything else is refused.
func (s *kv) CheckForwarded(from uint64, data []byte) error {
	if !bytes.Contains(data, []byte("=")) {
		return fmt.Errorf("member %d forwarded %q, not key=value", from, data)
	}
	return nil
}

func (s *kv) get(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[k]
	return v, ok
}

func (s *kv) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

type member struct {
	cfg  Config
	node *Node
	sm   *kv
}

// testSecret authenticates the test members to one another (a removal is
// believed only from an authenticated peer).
var testSecret = []byte("test-ensemble-secret")

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func freeAddr(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", refzk.FreePort(t))
}

func cluster(t *testing.T, n int, snapCount uint64, opts ...func(*Config)) []*member {
	t.Helper()
	peers := map[uint64]string{}
	for i := 1; i <= n; i++ {
		peers[uint64(i)] = freeAddr(t)
	}
	var ms []*member
	for i := 1; i <= n; i++ {
		m := &member{cfg: Config{ID: uint64(i), EnsembleID: "test", Peers: peers, DataDir: t.TempDir(), TickInterval: 20 * time.Millisecond,
			SnapshotCount: snapCount, PublishConfig: true, Secret: testSecret, Logger: quietLogger()}}
		for _, o := range opts {
			o(&m.cfg)
		}
		m.start(t)
		ms = append(ms, m)
	}
	return ms
}

func (m *member) start(t *testing.T) {
	t.Helper()
	m.sm = newKV()
	n, err := Start(m.cfg, m.sm)
	if err != nil {
		t.Fatal(err)
	}
	m.node = n
	t.Cleanup(n.Stop)
}

func waitLeader(t *testing.T, ms []*member) *member {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range ms {
			if m.node != nil && m.node.IsLeader() {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	t.Fatal("no leader elected")
	return nil
}

// propose retries a write until it is applied on the member it went through.
func propose(t *testing.T, m *member, k, v string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := m.node.Propose(ctx, []byte(k+"="+v))
		if err == nil {
			err = m.node.Barrier(ctx)
		}
		cancel()
		if got, _ := m.sm.get(k); err == nil && got == v {
			return
		}
		time.Sleep(20 * time.Millisecond) // retry interval while a leader is elected
	}
	t.Fatalf("write %s=%s through member %d never applied", k, v, m.cfg.ID)
}

func waitConverged(t *testing.T, ms []*member, k, v string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range ms {
		if m.node == nil {
			continue
		}
		for {
			if got, _ := m.sm.get(k); got == v {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d did not apply %s=%s", m.cfg.ID, k, v)
			}
			time.Sleep(10 * time.Millisecond) // poll interval
		}
	}
}

func TestReplicationFailoverAndRestart(t *testing.T) {
	ms := cluster(t, 3, 1000)
	waitLeader(t, ms)
	for i := 0; i < 30; i++ {
		propose(t, ms[i%3], fmt.Sprintf("k%d", i), "v1") // through followers too
	}
	waitConverged(t, ms, "k29", "v1")

	old := waitLeader(t, ms)
	start := time.Now()
	old.node.Stop()
	old.node = nil
	var rest []*member
	for _, m := range ms {
		if m != old {
			rest = append(rest, m)
		}
	}
	leader := waitLeader(t, rest)
	t.Logf("failover: member %d leads %v after the leader stopped", leader.cfg.ID, time.Since(start))
	propose(t, leader, "after", "failover")

	// The old leader restarts from its WAL and catches up.
	old.start(t)
	waitConverged(t, ms, "after", "failover")
	if old.sm.size() != 31 {
		t.Fatalf("restarted member has %d keys, want 31", old.sm.size())
	}
	// Terms (the zxid epochs) never go backwards on any member.
	for _, m := range ms {
		m.sm.mu.Lock()
		for i := 1; i < len(m.sm.applied); i++ {
			a, b := m.sm.applied[i-1], m.sm.applied[i]
			if b.Term < a.Term || b.Index <= a.Index {
				t.Errorf("member %d applied %+v after %+v", m.cfg.ID, b, a)
			}
		}
		m.sm.mu.Unlock()
	}
}

func TestRestartFromSnapshotAndWAL(t *testing.T) {
	ms := cluster(t, 1, 25)
	m := ms[0]
	waitLeader(t, ms)
	for i := 0; i < 60; i++ {
		propose(t, m, fmt.Sprintf("k%02d", i), fmt.Sprint(i))
	}
	m.node.Stop()
	m.start(t) // a fresh state machine: everything comes from disk
	waitLeader(t, ms)
	waitConverged(t, ms, "k59", "59")
	if m.sm.size() != 60 {
		t.Fatalf("after restart %d keys, want 60", m.sm.size())
	}
	if m.node.store.snapshot == nil {
		t.Fatal("no snapshot was taken or loaded")
	}
}

// TestPartitionedLeader cuts the leader off: the majority elects a new
// leader and keeps committing; the old leader commits nothing alone, and
// after healing every member holds the same data.
func TestPartitionedLeader(t *testing.T) {
	ms := cluster(t, 3, 1000)
	old := waitLeader(t, ms)
	propose(t, old, "before", "1")
	cut := func(from, to uint64) bool { return from == old.cfg.ID || to == old.cfg.ID }
	for _, m := range ms {
		m.node.Transport().SetDrop(cut)
	}
	var rest []*member
	for _, m := range ms {
		if m != old {
			rest = append(rest, m)
		}
	}
	// The isolated leader accepts the proposal but can never commit it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	old.node.Propose(ctx, []byte("lost=1"))
	cancel()
	newLeader := waitLeader(t, rest)
	propose(t, newLeader, "during", "2")
	if _, ok := old.sm.get("lost"); ok {
		t.Fatal("an isolated leader applied a write")
	}
	// sync on the isolated member cannot complete: it cannot learn the commit index.
	bctx, bcancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	if err := old.node.Barrier(bctx); err == nil {
		t.Fatal("a Barrier completed on a member cut off from the quorum")
	}
	bcancel()
	if err := old.node.Ready(); err == nil {
		t.Fatal("a member cut off from the quorum reports ready")
	}
	for _, m := range ms {
		m.node.Transport().SetDrop(nil)
	}
	waitFor(t, "the healed member is ready again", func() bool { return old.node.Ready() == nil })
	// After healing, its Barrier (retried by the node) covers the write
	// committed while it was away.
	bctx, bcancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer bcancel()
	if err := old.node.Barrier(bctx); err != nil {
		t.Fatalf("Barrier after healing: %v", err)
	}
	if v, _ := old.sm.get("during"); v != "2" {
		t.Fatalf("after Barrier the old leader reads during=%q, want 2", v)
	}
	propose(t, newLeader, "after", "3")
	waitConverged(t, ms, "after", "3")
	for _, m := range ms {
		if _, ok := m.sm.get("lost"); ok {
			t.Fatalf("member %d applied the write of the isolated leader", m.cfg.ID)
		}
		if v, _ := m.sm.get("during"); v != "2" {
			t.Fatalf("member %d lost a committed write", m.cfg.ID)
		}
	}
}
