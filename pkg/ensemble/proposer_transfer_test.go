package ensemble

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestProposalsDuringAbortedTransferApply: proposals made on the leader
// while it tries to hand leadership over are not dropped. Raft refuses
// proposals during a transfer, and says so only to a caller that waits for
// the outcome, which the batching proposer does not; a batch handed over
// then would vanish, and with no new term (the transfer fails: its target
// is down) nothing would give its requests up. The proposer holds batches
// until the transfer ends.
func TestProposalsDuringAbortedTransferApply(t *testing.T) {
	ms, kvs := orderCluster(t, 3)
	leader := waitLeader(t, ms)
	var target *member
	for _, m := range ms {
		if m != leader {
			target = m
			break
		}
	}
	target.node.Stop() // the ensemble keeps its quorum; the transfer cannot finish
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var accepted []string
	for i := range 8 {
		wg.Go(func() {
			for j := 0; !stop.Load(); j++ {
				k := fmt.Sprintf("p%d-%d", i, j)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := leader.node.Propose(ctx, []byte(k+"=1"))
				cancel()
				if err == nil {
					mu.Lock()
					accepted = append(accepted, k)
					mu.Unlock()
				}
			}
		})
	}
	lk := kvs[indexOf(ms, leader)]
	waitProposals(t, lk, 100) // under way before the transfer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	err := leader.node.Transfer(ctx, target.cfg.ID)
	if err == nil {
		t.Fatal("a transfer to a stopped member succeeded")
	}
	t.Logf("the transfer failed after %v: %v", time.Since(began), err)
	if !leader.node.IsLeader() {
		t.Fatal("the leader lost its office in a failed transfer")
	}
	waitProposals(t, lk, len(lk.applied())+100) // and after it
	stop.Store(true)
	wg.Wait()
	for i, o := range kvs {
		if ms[i] == target {
			continue
		}
		waitApplied(t, ms[i].cfg.ID, o, accepted)
	}
	t.Logf("%d proposals accepted across a failed transfer, all applied", len(accepted))
}

func indexOf(ms []*member, m *member) int {
	for i := range ms {
		if ms[i] == m {
			return i
		}
	}
	return -1
}

// waitApplied waits until o has applied every key in want.
func waitApplied(t *testing.T, id uint64, o *orderKV, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]bool{}
		for _, k := range o.applied() {
			got[k] = true
		}
		var missing []string
		for _, k := range want {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d: %d of %d accepted proposals never applied (e.g. %v)", id, len(missing), len(want), missing[:min(5, len(missing))])
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// applied returns a copy of the keys applied so far, in order.
func (o *orderKV) applied() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.order...)
}

// waitProposals waits until o has applied at least n keys.
func waitProposals(t *testing.T, o *orderKV, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(o.applied()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d keys applied after 20 s, want %d", len(o.applied()), n)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}
