package ensemble

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// waiter is a state machine that tells proposers when their entry applied.
type waiter struct {
	*kv
	mu    sync.Mutex
	waits map[string]chan struct{}
}

func (w *waiter) Apply(entries []sessionserver.Entry) {
	w.kv.Apply(entries)
	w.mu.Lock()
	for _, e := range entries {
		if ch := w.waits[string(e.Data)]; ch != nil {
			close(ch)
			delete(w.waits, string(e.Data))
		}
	}
	w.mu.Unlock()
}

// BenchmarkProposals measures the replicated log alone: a 3-member
// ensemble on loopback (fsync on), P proposers each proposing through a
// member in turn and waiting until its entry is applied there. It reports
// commits/s and how many entries one WAL fsync carried on the leader.
// Run: go test -run '^$' -bench Proposals -benchtime 1x ./pkg/ensemble/
func BenchmarkProposals(b *testing.B) {
	for _, proposers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("proposers=%d", proposers), func(b *testing.B) {
			ms := clusterB(b, 3)
			ws := make([]*waiter, len(ms))
			for i, m := range ms {
				ws[i] = m.sm.(*waiter)
			}
			lead := waitLeaderB(b, ms)
			before := lead.node.Stats()
			const measure = 3 * time.Second
			var ops atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for p := 0; p < proposers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for i := 0; time.Since(start) < measure; i++ {
						m, w := ms[p%3], ws[p%3]
						key := fmt.Sprintf("p%d-%d=x", p, i)
						ch := make(chan struct{})
						w.mu.Lock()
						w.waits[key] = ch
						w.mu.Unlock()
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						if m.node.Propose(ctx, []byte(key)) == nil {
							select {
							case <-ch:
								ops.Add(1)
							case <-ctx.Done():
							}
						}
						cancel()
					}
				}(p)
			}
			wg.Wait()
			after := lead.node.Stats()
			rate := float64(ops.Load()) / time.Since(start).Seconds()
			perFsync := float64(after.Entries-before.Entries) / float64(max(1, after.Appends-before.Appends))
			b.ReportMetric(rate, "commits/s")
			b.ReportMetric(perFsync, "entries/fsync")
			b.Logf("3 members, %d proposers: %.0f commits/s, %.1f entries per leader fsync", proposers, rate, perFsync)
		})
	}
}

type benchMember struct {
	node *Node
	sm   sessionserver.StateMachine
}

func clusterB(b *testing.B, n int) []*benchMember {
	peers := map[uint64]string{}
	for i := 1; i <= n; i++ {
		peers[uint64(i)] = freeAddr(b)
	}
	var ms []*benchMember
	for i := 1; i <= n; i++ {
		w := &waiter{kv: newKV(), waits: map[string]chan struct{}{}}
		node, err := Start(Config{ID: uint64(i), Peers: peers, DataDir: b.TempDir(), TickInterval: 20 * time.Millisecond,
			Logger: quietLogger()}, w)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(node.Stop)
		ms = append(ms, &benchMember{node: node, sm: w})
	}
	return ms
}

func waitLeaderB(b *testing.B, ms []*benchMember) *benchMember {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range ms {
			if m.node.IsLeader() {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	b.Fatal("no leader")
	return nil
}
