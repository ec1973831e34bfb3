package ensemble

import (
	"context"
	"testing"
	"time"
)

// TestTermBeganInLogOrder: every member is told where a new leader's term
// begins, after every entry of the earlier terms it applies and before any
// of the new term (the state machine gives up on proposals lost with the
// old leader there: sessionserver's lostwrites.go). A leadership transfer
// begins a term as an election does.
func TestTermBeganInLogOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 3, 1000)
	leader := waitLeader(t, ms)
	propose(t, leader, "a", "1")
	waitHears(t, leader, others(ms, leader)...)
	to := others(ms, leader)[0]
	if err := leader.node.Transfer(ctx, to.cfg.ID); err != nil {
		t.Fatal(err)
	}
	propose(t, to, "b", "2")
	waitConverged(t, ms, "b", "2")
	term := to.node.Term()
	for _, m := range ms {
		m.sm.mu.Lock()
		marks, applied := append([]termMark(nil), m.sm.terms...), append(m.sm.applied[:0:0], m.sm.applied...)
		m.sm.mu.Unlock()
		seen := false
		for _, mk := range marks {
			if mk.appliedTerm >= mk.term {
				t.Errorf("member %d: term %d began after an entry of term %d applied", m.cfg.ID, mk.term, mk.appliedTerm)
			}
			seen = seen || mk.term == term
		}
		if !seen {
			t.Errorf("member %d was not told term %d began (told %+v)", m.cfg.ID, term, marks)
		}
		if last := applied[len(applied)-1]; last.Term != term {
			t.Errorf("member %d: the last write applied in term %d, want %d", m.cfg.ID, last.Term, term)
		}
	}
}
