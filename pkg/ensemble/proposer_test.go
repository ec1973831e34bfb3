package ensemble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

func TestProposerCutsBatchesAtMaxBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int // entries per batch
	}{
		{"small ones share a batch", []int{10, 20, 30}, []int{3}},
		{"full batch", []int{maxBatchBytes / 2, maxBatchBytes / 2, 1}, []int{2, 1}},
		{"oversized goes alone", []int{1, maxBatchBytes + 1, 1}, []int{1, 1, 1}},
		{"empty entries", []int{0, 0}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProposer()
			for _, n := range tc.sizes {
				p.add(make([]byte, n))
			}
			var got []int
			for b := p.take(); b != nil; b = p.take() {
				got = append(got, len(b.ents))
				if b.bytes > maxBatchBytes && len(b.ents) > 1 {
					t.Errorf("a batch of %d entries holds %d bytes", len(b.ents), b.bytes)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("batches %v, want %v", got, tc.want)
			}
		})
	}
}

// orderKV records the order in which keys applied.
type orderKV struct {
	*kv
	mu    sync.Mutex
	order []string
}

func (o *orderKV) Apply(entries []sessionserver.Entry) {
	o.kv.Apply(entries)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range entries {
		if bytes.HasPrefix(e.Data, configTxnPrefix) {
			continue
		}
		if k, _, ok := strings.Cut(string(e.Data), "="); ok {
			o.order = append(o.order, k)
		}
	}
}

// orderCluster starts n members whose state machines record the order of
// what they apply.
func orderCluster(t *testing.T, n int) ([]*member, []*orderKV) {
	t.Helper()
	ms := cluster(t, n, 0)
	for _, m := range ms {
		m.node.Stop()
	}
	kvs := make([]*orderKV, len(ms))
	for i, m := range ms {
		kvs[i] = &orderKV{kv: newKV()}
		m.sm = kvs[i].kv
		node, err := Start(m.cfg, kvs[i])
		if err != nil {
			t.Fatal(err)
		}
		m.node = node
		t.Cleanup(node.Stop)
	}
	return ms, kvs
}

// TestConcurrentProposalsApplyInOrder: proposers on the leader and on a
// follower propose at once (their proposals are batched); every
// transaction applies exactly once on every member, each proposer's in the
// order it proposed them.
func TestConcurrentProposalsApplyInOrder(t *testing.T) {
	ms, kvs := orderCluster(t, 3)
	leader := waitLeader(t, ms)
	var follower *member
	for _, m := range ms {
		if m != leader {
			follower = m
			break
		}
	}
	const proposers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*proposers*each)
	for i := range 2 * proposers {
		via := leader
		if i%2 == 1 {
			via = follower
		}
		wg.Go(func() {
			for j := range each {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := via.node.Propose(ctx, fmt.Appendf(nil, "p%d-%d=%d", i, j, j)); err != nil {
					errs <- fmt.Errorf("proposer %d via member %d: %w", i, via.cfg.ID, err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, m := range ms {
		last := fmt.Sprintf("p%d-%d", 2*proposers-1, each-1)
		waitConverged(t, ms[i:i+1], last, strconv.Itoa(each-1))
		deadline := time.Now().Add(10 * time.Second)
		for m.sm.size() < 2*proposers*each && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // poll interval
		}
		o := kvs[i]
		o.mu.Lock()
		next := map[string]int{}
		for _, k := range o.order {
			p, j, _ := strings.Cut(k, "-")
			if n, _ := strconv.Atoi(j); n != next[p] {
				t.Errorf("member %d applied %s after %s-%d", m.cfg.ID, k, p, next[p]-1)
			}
			next[p]++
		}
		if len(o.order) != 2*proposers*each {
			t.Errorf("member %d applied %d transactions, want %d", m.cfg.ID, len(o.order), 2*proposers*each)
		}
		o.mu.Unlock()
	}
	st := leader.node.Stats()
	t.Logf("leader: %d entries in %d appends", st.Entries, st.Appends)
}

func TestProposeAfterStopFails(t *testing.T) {
	ms := cluster(t, 1, 0)
	waitLeader(t, ms)
	propose(t, ms[0], "k", "v")
	ms[0].node.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ms[0].node.Propose(ctx, []byte("k=w")); !errors.Is(err, sessionserver.ErrLogClosed) {
		t.Fatalf("Propose after Stop: %v, want ErrLogClosed", err)
	}
}
