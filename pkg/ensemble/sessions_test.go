package ensemble

import (
	"context"
	"sync"
	"testing"
	"time"
)

// expiries records which member expired which sessions.
type expiries struct {
	mu  sync.Mutex
	got map[uint64][]int64
}

func (e *expiries) add(member uint64, sids []int64) {
	e.mu.Lock()
	e.got[member] = append(e.got[member], sids...)
	e.mu.Unlock()
}

func (e *expiries) of(sid int64) (members []uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for m, sids := range e.got {
		for _, s := range sids {
			if s == sid {
				members = append(members, m)
			}
		}
	}
	return members
}

// TestSessionTrackingFollowsTheLeader: only the leader expires sessions; a
// session its client keeps touching through a follower stays alive (the
// follower reports touches every half tick); an untouched session expires
// once, on the leader; after the leader stops, the new leader re-arms every
// session with a full timeout and expires the abandoned ones itself.
func TestSessionTrackingFollowsTheLeader(t *testing.T) {
	const tick = 50 // ms
	const timeout = 400
	ms := cluster(t, 3, 1000)
	exp := &expiries{got: map[uint64][]int64{}}
	trackers := map[uint64]*SessionTracker{}
	for _, m := range ms {
		st := NewSessionTracker(m.node, tick)
		id := m.cfg.ID
		st.SetExpire(func(sids []int64) { exp.add(id, sids) })
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go st.Run(ctx)
		trackers[id] = st
	}
	leader := waitLeader(t, ms)
	var follower *member
	for _, m := range ms {
		if m != leader {
			follower = m
			break
		}
	}
	// The replicated session table: every member applies the creations.
	const kept, abandoned, late = int64(1), int64(2), int64(3)
	for _, st := range trackers {
		st.AddSession(kept, timeout)
		st.AddSession(abandoned, timeout)
	}
	stopTouching := make(chan struct{})
	touching := make(chan struct{})
	go func() {
		defer close(touching)
		for {
			select {
			case <-stopTouching:
				return
			case <-time.After(100 * time.Millisecond): // the client's ping interval
				trackers[follower.cfg.ID].Touch(kept, timeout)
			}
		}
	}()
	waitFor(t, "the abandoned session expires", func() bool { return len(exp.of(abandoned)) > 0 })
	time.Sleep(3 * timeout * time.Millisecond) // observe: the touched session must outlive several timeouts
	if got := exp.of(kept); len(got) != 0 {
		t.Fatalf("a session touched through a follower was expired by %v", got)
	}
	if got := exp.of(abandoned); len(got) != 1 || got[0] != leader.cfg.ID {
		t.Fatalf("the abandoned session was expired by %v, want once by the leader %d", got, leader.cfg.ID)
	}
	// The leader's close would remove it everywhere.
	for _, st := range trackers {
		st.RemoveSession(abandoned)
	}

	// The leader goes; the new one re-arms sessions and expires them itself.
	for _, st := range trackers {
		st.AddSession(late, timeout)
	}
	leader.node.Stop()
	leader.node = nil
	var rest []*member
	for _, m := range ms {
		if m != leader {
			rest = append(rest, m)
		}
	}
	newLeader := waitLeader(t, rest)
	waitFor(t, "the new leader expires the session nobody touches", func() bool { return len(exp.of(late)) > 0 })
	if got := exp.of(late); len(got) != 1 || got[0] != newLeader.cfg.ID {
		t.Fatalf("the late session was expired by %v, want once by the new leader %d", got, newLeader.cfg.ID)
	}
	// The client's member reports to the new leader (or is it).
	time.Sleep(2 * timeout * time.Millisecond) // observe across timeouts
	if got := exp.of(kept); len(got) != 0 {
		t.Fatalf("the touched session was expired by %v after the failover", got)
	}
	close(stopTouching)
	<-touching
}
