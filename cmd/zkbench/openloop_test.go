package main

import (
	"strings"
	"testing"
	"time"
)

// fifoSchedule models one connection whose server answers in order: request
// k is due every `every`, takes `service` (stall for request stallAt), and
// is sent at its due time by an open-loop generator (pipelined) or, by a
// closed-loop one, only once the previous reply came back.
func fifoSchedule(n int, every, service, stall time.Duration, stallAt int, pipelined bool) []openRecord {
	recs := make([]openRecord, n)
	var prevDone int64
	for k := range recs {
		due := int64(k) * int64(every)
		sent := due
		if !pipelined {
			sent = max(due, prevDone)
		}
		s := int64(service)
		if k == stallAt {
			s = int64(stall)
		}
		done := max(sent, prevDone) + s
		recs[k] = openRecord{due: due, sent: sent, done: done}
		prevDone = done
	}
	return recs
}

func TestSummarizeOpenShowsStalls(t *testing.T) {
	const n, every, service, stall = 1000, time.Millisecond, 100 * time.Microsecond, 200 * time.Millisecond
	tests := []struct {
		name      string
		pipelined bool
		stallAt   int
		// p99 from the scheduled time at least; p99 from the send time at most
		minP99, maxP99FromSent time.Duration
		behind                 bool
	}{
		{"no stall", true, -1, 0, time.Millisecond, false},
		// 200 requests are due while request 100 stalls: every one of them
		// waits, so the p99 (and even the p90) from the schedule is large.
		{"stall, pipelined generator", true, 100, 100 * time.Millisecond, 200 * time.Millisecond, false},
		// A generator that waits for each reply sends the requests behind
		// the stall late: measured from their send time only one request
		// is slow (the p99 hides the stall); from the schedule, 200 are.
		{"stall, generator waiting for replies", false, 100, 100 * time.Millisecond, time.Millisecond, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs := fifoSchedule(n, every, service, stall, tc.stallAt, tc.pipelined)
			st := summarizeOpen(recs, 0, n*every, 2*n*every)
			if st.scheduled != n {
				t.Fatalf("scheduled %d, want %d", st.scheduled, n)
			}
			if got := st.latency.Quantile(0.99); got < tc.minP99 {
				t.Errorf("p99 from the schedule %v, want ≥ %v", got, tc.minP99)
			}
			if tc.stallAt >= 0 && st.latency.Quantile(0.90) < 50*time.Millisecond {
				t.Errorf("p90 from the schedule %v: the requests behind the stall are hidden", st.latency.Quantile(0.90))
			}
			fromSent := NewHistogram()
			for _, r := range recs {
				fromSent.Record(time.Duration(r.done - r.sent))
			}
			if got := fromSent.Quantile(0.99); got > tc.maxP99FromSent {
				t.Errorf("p99 from the send time %v, want ≤ %v", got, tc.maxP99FromSent)
			}
			if got := st.failure() != ""; got != tc.behind {
				t.Errorf("failure() = %q, want fell behind: %v", st.failure(), tc.behind)
			}
		})
	}
}

func TestSummarizeOpenWindowAndFailures(t *testing.T) {
	ms := func(n int) int64 { return int64(n) * int64(time.Millisecond) }
	recs := []openRecord{
		{due: ms(0), sent: ms(0), done: ms(1)},    // warm-up: not counted
		{due: ms(10), sent: ms(10), done: ms(12)}, // counted, 2 ms
		{due: ms(20), sent: -1, done: -1},         // never sent
		{due: ms(30), sent: ms(30), done: -1},     // unanswered: age at drain
		{due: ms(40), sent: ms(40), done: ms(41), failed: 1},
		{due: ms(50), sent: ms(60), done: ms(150)},   // replied after the window
		{due: ms(110), sent: ms(110), done: ms(111)}, // after the window
	}
	st := summarizeOpen(recs, 10*time.Millisecond, 100*time.Millisecond, 500*time.Millisecond)
	checks := []struct {
		name      string
		got, want int64
	}{
		{"scheduled", st.scheduled, 5},
		{"completed in window", st.completed, 1},
		{"dropped", st.dropped, 1},
		{"unfinished", st.unfinished, 1},
		{"errors", st.errs, 1},
		{"late", st.late, 1},
		{"latency max (the unanswered request's age)", int64(st.latency.Max()), ms(470)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(st.failure(), "not sent") {
		t.Errorf("failure() = %q, want the unsent request named", st.failure())
	}
}

// stallClient answers every request at once except the first, which it
// answers when the last one is issued.
type stallClient struct {
	n        int
	complete func(k int, failed bool)
}

func (c *stallClient) start(complete func(k int, failed bool)) { c.complete = complete }
func (c *stallClient) flush()                                  {}
func (c *stallClient) issue(_, k int) error {
	if k != 0 {
		c.complete(k, false)
	}
	if k == c.n-1 {
		c.complete(0, false)
	}
	return nil
}

// TestOpenLoopKeepsSchedule runs the real scheduler with a client that
// holds the first reply until the last request was issued: the scheduler
// must not wait for it, and that request's latency covers the whole run.
func TestOpenLoopKeepsSchedule(t *testing.T) {
	const rate, sessions = 2000, 4
	n := int(rate * 0.2)
	st := openLoop(sessions, rate, 0, 200*time.Millisecond, &stallClient{n: n})
	if st.scheduled != int64(n) || st.dropped != 0 || st.unfinished != 0 {
		t.Fatalf("scheduled %d dropped %d unfinished %d, want %d, 0, 0", st.scheduled, st.dropped, st.unfinished, n)
	}
	if got := st.latency.Max(); got < 150*time.Millisecond {
		t.Errorf("latency of the held request %v, want ≥ 150ms (issued until the last was due)", got)
	}
}
