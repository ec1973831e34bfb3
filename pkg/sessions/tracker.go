package sessions

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Info describes a tracked session.
type Info struct {
	ID        int64
	Timeout   int32
	Closing   bool
	ExpiresAt int64 // monotonic ms of its bucket
}

// Tracker is the standalone (and leader) session tracker: it touches
// sessions into the expiry queue and, each tick, marks the due ones closing
// and hands them to Expire, which proposes their closeSession.
type Tracker struct {
	tick   int64
	queue  *ExpiryQueue[int64]
	mu     sync.Mutex
	state  map[int64]*entry
	expire func(sids []int64)
	now    func() int64
	// active gates expiry: in an ensemble only the leader expires sessions.
	active func() bool
}

type entry struct {
	timeout int32
	closing bool
}

// NewTracker creates a tracker with the given tick (ms). expire receives the
// sessions that expired in one tick, already marked closing.
func NewTracker(tickMillis int32, expire func(sids []int64)) *Tracker {
	now := MonotonicMillis
	return &Tracker{
		tick:   int64(tickMillis),
		queue:  NewExpiryQueue[int64](int64(tickMillis), now()),
		state:  map[int64]*entry{},
		expire: expire,
		now:    now,
	}
}

// SetExpire sets the callback that receives expired sessions.
func (t *Tracker) SetExpire(f func(sids []int64)) {
	t.mu.Lock()
	t.expire = f
	t.mu.Unlock()
}

// SetActive makes expiry run only while active() is true (the ensemble's
// leader); while inactive, due sessions are left alone.
func (t *Tracker) SetActive(active func() bool) {
	t.mu.Lock()
	t.active = active
	t.mu.Unlock()
}

// Rearm gives every tracked session a full timeout from now: a new leader
// does this, since it cannot know when followers last heard from clients.
func (t *Tracker) Rearm() {
	t.mu.Lock()
	type st struct {
		sid     int64
		timeout int32
	}
	all := make([]st, 0, len(t.state))
	for sid, e := range t.state {
		all = append(all, st{sid, e.timeout})
	}
	t.mu.Unlock()
	now := t.now()
	for _, s := range all {
		t.queue.Update(s.sid, int64(s.timeout), now)
	}
}

// Known reports whether sid is tracked (closing or not).
func (t *Tracker) Known(sid int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state[sid] != nil
}

// AddSession starts tracking sid with a full timeout (on createSession apply,
// and on a new leader for every known session).
func (t *Tracker) AddSession(sid int64, timeout int32) {
	t.mu.Lock()
	if _, ok := t.state[sid]; !ok {
		t.state[sid] = &entry{timeout: timeout}
	}
	t.mu.Unlock()
	t.queue.Update(sid, int64(timeout), t.now())
}

// RemoveSession stops tracking sid (on closeSession apply).
func (t *Tracker) RemoveSession(sid int64) {
	t.mu.Lock()
	delete(t.state, sid)
	t.mu.Unlock()
	t.queue.Remove(sid)
}

// Touch records activity with the connection's negotiated timeout. It is
// false for unknown or closing sessions, whose requests are dropped.
func (t *Tracker) Touch(sid int64, timeout int32) bool {
	t.mu.Lock()
	e := t.state[sid]
	if e == nil || e.closing {
		t.mu.Unlock()
		return false
	}
	t.mu.Unlock()
	t.queue.Update(sid, int64(timeout), t.now())
	return true
}

// SetClosing marks sid closing: its requests are no longer served.
func (t *Tracker) SetClosing(sid int64) {
	t.mu.Lock()
	if e := t.state[sid]; e != nil {
		e.closing = true
	}
	t.mu.Unlock()
}

// Valid reports whether sid is tracked and not closing.
func (t *Tracker) Valid(sid int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.state[sid]
	return e != nil && !e.closing
}

// Sessions lists the tracked sessions, sorted by id.
func (t *Tracker) Sessions() []Info {
	t.mu.Lock()
	out := make([]Info, 0, len(t.state))
	for sid, e := range t.state {
		out = append(out, Info{ID: sid, Timeout: e.timeout, Closing: e.closing})
	}
	t.mu.Unlock()
	for i := range out {
		out[i].ExpiresAt, _ = t.queue.ExpiryOf(out[i].ID)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Run expires sessions until ctx ends, like SessionTrackerImpl.run.
func (t *Tracker) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := t.now()
		if w := t.queue.WaitTime(now); w > 0 {
			timer.Reset(time.Duration(w) * time.Millisecond)
			continue
		}
		due := t.queue.Poll(now)
		var expired []int64
		t.mu.Lock()
		if t.active != nil && !t.active() {
			// Not the leader: the leader expires sessions; Rearm runs on taking over.
			due = nil
		}
		expire := t.expire
		for _, sid := range due {
			if e := t.state[sid]; e != nil && !e.closing {
				e.closing = true
				expired = append(expired, sid)
			}
		}
		t.mu.Unlock()
		if len(expired) > 0 {
			sort.Slice(expired, func(i, j int) bool { return expired[i] < expired[j] })
			expire(expired)
		}
		timer.Reset(0)
	}
}
