package sessions

import "sync"

// ExpiryQueue is ZooKeeper's ExpiryQueue: elements live in buckets whose
// deadlines are multiples of the interval, so expiry runs once per tick for
// every element due, and a touch that lands in the same bucket costs nothing.
type ExpiryQueue[K comparable] struct {
	mu       sync.Mutex
	interval int64
	expiry   map[K]int64
	buckets  map[int64]map[K]struct{}
	next     int64
}

// NewExpiryQueue creates a queue whose buckets are interval ms apart, starting at now.
func NewExpiryQueue[K comparable](interval, now int64) *ExpiryQueue[K] {
	q := &ExpiryQueue[K]{interval: interval, expiry: map[K]int64{}, buckets: map[int64]map[K]struct{}{}}
	q.next = q.round(now)
	return q
}

// round is roundToNextInterval: always strictly after t.
func (q *ExpiryQueue[K]) round(t int64) int64 { return (t/q.interval + 1) * q.interval }

// Update (re)schedules k to expire timeout ms after now, rounded up to the next bucket.
func (q *ExpiryQueue[K]) Update(k K, timeout, now int64) {
	at := q.round(now + timeout)
	q.mu.Lock()
	defer q.mu.Unlock()
	old, ok := q.expiry[k]
	if ok && old == at {
		return
	}
	b := q.buckets[at]
	if b == nil {
		b = map[K]struct{}{}
		q.buckets[at] = b
	}
	b[k] = struct{}{}
	q.expiry[k] = at
	if ok {
		if ob := q.buckets[old]; ob != nil {
			delete(ob, k)
		}
	}
}

// Remove forgets k.
func (q *ExpiryQueue[K]) Remove(k K) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if at, ok := q.expiry[k]; ok {
		delete(q.expiry, k)
		if b := q.buckets[at]; b != nil {
			delete(b, k)
		}
	}
}

// WaitTime is how long until the next bucket is due.
func (q *ExpiryQueue[K]) WaitTime(now int64) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return max(0, q.next-now)
}

// Poll returns the elements of the bucket that is due, or nothing if none is.
func (q *ExpiryQueue[K]) Poll(now int64) []K {
	q.mu.Lock()
	defer q.mu.Unlock()
	if now < q.next {
		return nil
	}
	at := q.next
	q.next += q.interval
	b := q.buckets[at]
	delete(q.buckets, at)
	out := make([]K, 0, len(b))
	for k := range b {
		out = append(out, k)
		delete(q.expiry, k)
	}
	return out
}

// ExpiryOf returns when k is due (monotonic ms), if scheduled.
func (q *ExpiryQueue[K]) ExpiryOf(k K) (int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	at, ok := q.expiry[k]
	return at, ok
}
