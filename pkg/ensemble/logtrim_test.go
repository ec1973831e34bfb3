package ensemble

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestAloneMemberTrimsItsLogAndStillGrows: a member alone in its
// configuration keeps no more than trimSlack applied entries in memory, and
// a member added afterwards is still caught up (through a snapshot taken
// when the addition applies) and holds everything.
func TestAloneMemberTrimsItsLogAndStillGrows(t *testing.T) {
	ms := cluster(t, 1, 0)
	waitLeader(t, ms)
	const writes = trimSlack + 100
	for i := range writes {
		propose(t, ms[0], fmt.Sprintf("k%d", i), "v")
	}
	last := fmt.Sprintf("k%d", writes-1)
	waitConverged(t, ms, last, "v")
	first, _ := ms[0].node.store.mem.FirstIndex()
	lastIdx, _ := ms[0].node.store.mem.LastIndex()
	if held := lastIdx - first + 1; held > trimSlack+10 {
		t.Fatalf("a member alone holds %d entries in memory (first %d, last %d), want at most about %d", held, first, lastIdx, trimSlack)
	}
	if ms[0].node.snapshotIndex+1 >= first {
		t.Fatalf("the test needs a log trimmed past the snapshot (snapshot %d, first %d)", ms[0].node.snapshotIndex, first)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	peers := map[uint64]string{1: ms[0].cfg.Peers[1], 2: freeAddr(t)}
	joined := joiner(t, 2, peers)
	if err := ms[0].node.AddLearner(ctx, MemberInfo{ID: 2, PeerAddr: peers[2], ClientAddr: "127.0.0.1:2181"}); err != nil {
		t.Fatalf("add learner: %v", err)
	}
	waitFor(t, "the learner catches up", func() bool { return ms[0].node.CaughtUp(2) })
	waitConverged(t, []*member{joined}, last, "v")
	if got := joined.sm.size(); got < writes {
		t.Fatalf("the added member holds %d keys, want %d", got, writes)
	}
	if err := ms[0].node.Promote(ctx, 2); err != nil {
		t.Fatalf("promote: %v", err)
	}
	propose(t, ms[0], "after", "grown")
	waitConverged(t, []*member{ms[0], joined}, "after", "grown")
}
