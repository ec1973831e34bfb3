package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

// The open-loop phases: requests are issued on a fixed schedule (request k
// is due at k/rate after the start), whether or not earlier replies came
// back, and each latency is measured from the request's scheduled time, so
// a stalled server shows in the latencies of every request due while it
// stalled (no coordinated omission). The requests go round-robin over
// sessions that pipeline them (openclient.go).

// Open-loop limits: a request sent more than openLate after its scheduled
// time counts as late; more than openLateShare of them, or any request not
// sent at all (openMaxInFlight reached), means the load generator did not
// keep up and the row fails. Replies still missing openDrain after the last
// scheduled request count as unfinished, with their age then as latency.
const (
	openLate        = 5 * time.Millisecond
	openLateShare   = 0.01
	openMaxInFlight = 20000
	openDrain       = 10 * time.Second
)

// openRecord is one scheduled request, in nanoseconds since the schedule's
// start: due (scheduled), sent (handed to the client; -1: not sent) and
// done (reply; -1: none yet). done is written by the request's goroutine.
type openRecord struct {
	due, sent, done int64
	failed          int32
}

// openStats summarises a schedule's measured window.
type openStats struct {
	scheduled, completed      int64 // due in the window; replied within it
	errs, dropped, unfinished int64
	late                      int64 // sent later than openLate
	window                    time.Duration
	latency, lag              *Histogram
}

// summarizeOpen reads the records whose scheduled time lies in
// [from, from+window): their latency runs from the scheduled time to the
// reply (to drainedAt for those still unanswered, a lower bound), so time a
// request spent waiting to be sent counts; lag is sent - due.
func summarizeOpen(recs []openRecord, from, window, drainedAt time.Duration) openStats {
	st := openStats{window: window, latency: NewHistogram(), lag: NewHistogram()}
	lo, hi := int64(from), int64(from+window)
	for i := range recs {
		r := &recs[i]
		if r.due < lo || r.due >= hi {
			continue
		}
		st.scheduled++
		if r.sent < 0 {
			st.dropped++
			continue
		}
		lag := time.Duration(r.sent - r.due)
		st.lag.Record(lag)
		if lag > openLate {
			st.late++
		}
		done := atomic.LoadInt64(&r.done)
		switch {
		case done < 0:
			st.unfinished++
			st.latency.Record(drainedAt - time.Duration(r.due))
			continue
		case atomic.LoadInt32(&r.failed) != 0:
			st.errs++
			continue
		}
		st.latency.Record(time.Duration(done - r.due))
		if done < hi {
			st.completed++
		}
	}
	return st
}

// failure says why the row fails, or "": the load generator did not keep
// to its schedule, requests failed, or replies never came.
func (st openStats) failure() string {
	switch {
	case st.dropped > 0:
		return fmt.Sprintf("load generator fell behind: %d of %d scheduled requests not sent (%d in flight)", st.dropped, st.scheduled, openMaxInFlight)
	case st.scheduled > 0 && float64(st.late) > openLateShare*float64(st.scheduled):
		return fmt.Sprintf("load generator fell behind: %d of %d requests sent more than %v after their scheduled time (lag p99 %v, max %v)",
			st.late, st.scheduled, openLate, st.lag.Quantile(0.99).Round(100*time.Microsecond), st.lag.Max().Round(100*time.Microsecond))
	case st.errs > 0:
		return fmt.Sprintf("%d of %d requests got an error reply or lost their connection", st.errs, st.scheduled)
	case st.unfinished > 0:
		return fmt.Sprintf("%d of %d requests unanswered %v after the last was sent", st.unfinished, st.scheduled, openDrain)
	}
	return ""
}

func (st openStats) metrics(offered float64) []Metric {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return []Metric{
		{Name: "p99 ms", Value: ms(st.latency.Quantile(0.99)), Better: lower},
		{Name: "p50 ms", Value: ms(st.latency.Quantile(0.50)), Better: lower},
		{Name: "achieved ops/s", Value: float64(st.completed) / st.window.Seconds(), Better: higher},
		{Name: "p99.9 ms", Value: ms(st.latency.Quantile(0.999)), Better: lower},
		{Name: "max ms", Value: ms(st.latency.Max()), Better: lower},
		{Name: "offered ops/s", Value: offered},
		{Name: "scheduled in window", Value: float64(st.scheduled)},
		{Name: "errors", Value: float64(st.errs), Better: lower},
		{Name: "generator lag p99 ms", Value: ms(st.lag.Quantile(0.99))},
		{Name: "generator lag max ms", Value: ms(st.lag.Max())},
		{Name: fmt.Sprintf("sent > %v late", openLate), Value: float64(st.late)},
	}
}

// openClient sends the requests of an open-loop schedule: issue queues
// request k on session w without waiting for anything, flush writes what
// was queued, and every reply (or failure) is reported through the
// complete function given to start, exactly once per request issued.
type openClient interface {
	start(complete func(k int, failed bool))
	issue(w, k int) error
	flush()
}

// openRun is one schedule being run.
type openRun struct {
	start   time.Time
	recs    []openRecord
	pending atomic.Int64 // requests sent and not complete, +1 while scheduling
	drained chan struct{}
}

func (o *openRun) complete(k int, failed bool) {
	if failed {
		atomic.StoreInt32(&o.recs[k].failed, 1)
	}
	atomic.StoreInt64(&o.recs[k].done, int64(time.Since(o.start)))
	o.release()
}

func (o *openRun) release() {
	if o.pending.Add(-1) == 0 {
		close(o.drained)
	}
}

// openLoop issues requests k = 0, 1, ... at rate per second for
// warmup+measure, request k on session k mod sessions, and summarises the
// requests scheduled after the warm-up. The scheduler wakes at the next
// due time, issues every request due by then and flushes them.
func openLoop(sessions int, rate float64, warmup, measure time.Duration, c openClient) openStats {
	n := int(rate * (warmup + measure).Seconds())
	o := &openRun{recs: make([]openRecord, n), drained: make(chan struct{})}
	for k := range o.recs {
		o.recs[k] = openRecord{due: int64(float64(k) * 1e9 / rate), sent: -1, done: -1}
	}
	o.pending.Store(1)
	c.start(o.complete)
	o.start = time.Now()
	for k := 0; k < n; {
		now := int64(time.Since(o.start))
		for ; k < n && o.recs[k].due <= now; k++ {
			if o.pending.Load() > openMaxInFlight {
				continue // stays unsent: counted as dropped
			}
			o.recs[k].sent = int64(time.Since(o.start))
			o.pending.Add(1)
			if err := c.issue(k%sessions, k); err != nil {
				o.complete(k, true)
			}
		}
		c.flush()
		if k < n {
			time.Sleep(time.Duration(o.recs[k].due - int64(time.Since(o.start)))) // until the next request is due
		}
	}
	o.release()
	select {
	case <-o.drained:
	case <-time.After(openDrain):
	}
	return summarizeOpen(o.recs, warmup, measure, time.Since(o.start))
}
