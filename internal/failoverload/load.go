package failoverload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// Options shape a Load.
type Options struct {
	Clients        int
	SessionTimeout time.Duration
	// Root is the parent of the clients' znodes (created when missing).
	Root string
	// RequestTimeout bounds one write (default: the session timeout).
	RequestTimeout time.Duration
	// Logger, when set, gets the clients' logs and their session events (a
	// failover's timeline from the clients' side).
	Logger *slog.Logger
	// ReconnectJitter, when set, replaces the clients' random pause (up to
	// 1 s, as the Java client's) before each reconnect attempt.
	ReconnectJitter time.Duration
}

// Load is Clients sessions writing continuously.
type Load struct {
	o       Options
	writers []*writer
	cancel  context.CancelFunc
	writing sync.WaitGroup // the writers
	events  sync.WaitGroup // the readers of session events

	mu      sync.Mutex
	since   time.Time     // the mark: writes issued after it count
	changed chan struct{} // signalled (capacity 1) on a counted ack or an expiry
}

// writer is one session and what it has had acknowledged.
type writer struct {
	conn *zkclient.Conn
	path string

	// Under Load.mu.
	first     time.Time // the first write issued after the mark and acknowledged
	lastAcked int64     // the highest value acknowledged
	acks      int64     // writes acknowledged
	issued    int64     // the highest value sent
	expired   bool
	err       error // the last error other than connection loss
}

// Start connects the clients, creates their znodes and starts them writing;
// it returns once every client has had a write acknowledged.
func Start(ctx context.Context, connectString string, o Options) (*Load, error) {
	if o.RequestTimeout == 0 {
		o.RequestTimeout = o.SessionTimeout
	}
	l := &Load{o: o, changed: make(chan struct{}, 1)}
	for i := range o.Clients {
		var opts []zkclient.Option
		if o.Logger != nil {
			opts = append(opts, zkclient.WithLogger(o.Logger.With("client", i)))
		}
		if o.ReconnectJitter > 0 {
			opts = append(opts, zkclient.WithReconnectJitter(o.ReconnectJitter))
		}
		c, err := zkclient.Connect(connectString, o.SessionTimeout, opts...)
		if err != nil {
			l.closeConns()
			return nil, err
		}
		l.writers = append(l.writers, &writer{conn: c, path: fmt.Sprintf("%s/c%d", o.Root, i)})
	}
	if err := l.createNodes(ctx); err != nil {
		l.closeConns()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.mu.Lock()
	l.since = time.Now()
	l.mu.Unlock()
	for _, w := range l.writers {
		l.writing.Add(1)
		l.events.Add(1)
		go l.watchExpiry(w)
		go l.write(runCtx, w)
	}
	if _, err := l.AwaitAll(ctx); err != nil {
		l.Stop()
		return nil, fmt.Errorf("before the first mark: %w", err)
	}
	return l, nil
}

func (l *Load) createNodes(ctx context.Context) error {
	c := l.writers[0].conn
	acl := zkclient.WorldACL(wire.PermAll)
	if _, _, err := c.Create(ctx, l.o.Root, nil, 0, acl); err != nil && !errors.Is(err, wire.ErrNodeExists) {
		return fmt.Errorf("create %s: %w", l.o.Root, err)
	}
	for _, w := range l.writers {
		if _, _, err := c.Create(ctx, w.path, []byte("0"), 0, acl); err != nil && !errors.Is(err, wire.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", w.path, err)
		}
	}
	return nil
}

// watchExpiry records the session's expiry from its events.
func (l *Load) watchExpiry(w *writer) {
	defer l.events.Done()
	for ev := range w.conn.Events() {
		if l.o.Logger != nil && ev.Type == zkclient.EventSession {
			l.o.Logger.Debug("failoverload: session event", "path", w.path, "state", ev.State,
				"server", ev.Server, "session", fmt.Sprintf("0x%x", w.conn.SessionID()))
		}
		if ev.Type == zkclient.EventSession && ev.State == zkclient.StateExpired {
			l.mu.Lock()
			w.expired = true
			l.mu.Unlock()
			l.signal()
		}
	}
}

// write sets the writer's znode to 1, 2, 3 ... until ctx ends or the
// session does; a write lost with its connection is not retried (the next
// value follows it), so every value is sent once.
func (l *Load) write(ctx context.Context, w *writer) {
	defer l.writing.Done()
	for v := int64(1); ctx.Err() == nil; v++ {
		issued := time.Now()
		l.mu.Lock()
		w.issued = v
		l.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, l.o.RequestTimeout)
		_, err := w.conn.Set(rctx, w.path, []byte(strconv.FormatInt(v, 10)), -1)
		cancel()
		l.mu.Lock()
		switch {
		case err == nil:
			w.lastAcked, w.acks = v, w.acks+1
			counted := w.first.IsZero() && issued.After(l.since)
			if counted {
				w.first = time.Now()
			}
			l.mu.Unlock()
			if counted {
				l.signal()
			}
			continue
		case errors.Is(err, zkclient.ErrSessionExpired), errors.Is(err, zkclient.ErrClosed):
			l.mu.Unlock()
			return
		case !errors.Is(err, zkclient.ErrConnectionLoss) && ctx.Err() == nil:
			w.err = err
		}
		l.mu.Unlock()
		// The next write waits in the client's queue until it reconnects.
	}
}

func (l *Load) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// Mark starts a new measurement: from now on only writes issued after it count.
func (l *Load) Mark() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since = time.Now()
	for _, w := range l.writers {
		w.first = time.Time{}
	}
	return l.since
}

// Result is one measurement from the mark.
type Result struct {
	// First is when the first write issued after the mark was acknowledged,
	// All when every client had one acknowledged (both from the mark).
	First, All time.Duration
	// Expired counts sessions expired so far (over the Load's life).
	Expired int
}

// AwaitAll waits until every client has had a write issued after the mark
// acknowledged, or a session expired, or ctx ended.
func (l *Load) AwaitAll(ctx context.Context) (Result, error) {
	for {
		r, done := l.result()
		if r.Expired > 0 {
			return r, fmt.Errorf("%d sessions expired", r.Expired)
		}
		if done {
			return r, nil
		}
		select {
		case <-l.changed:
		case <-ctx.Done():
			return r, fmt.Errorf("not every client wrote again: %w (%s)", ctx.Err(), l.waiting())
		}
	}
}

// result is the measurement so far, and whether every client has written.
func (l *Load) result() (Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var r Result
	done := true
	for _, w := range l.writers {
		if w.expired {
			r.Expired++
		}
		if w.first.IsZero() {
			done = false
			continue
		}
		d := w.first.Sub(l.since)
		if r.First == 0 || d < r.First {
			r.First = d
		}
		r.All = max(r.All, d)
	}
	return r, done
}

// waiting names the clients that have not written since the mark.
func (l *Load) waiting() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	n := 0
	for _, w := range l.writers {
		if w.first.IsZero() {
			if n++; n <= 3 {
				s = append(s, fmt.Sprintf("%s via %q state %v err %v", w.path, w.conn.Server(), w.conn.State(), w.err))
			}
		}
	}
	return fmt.Sprintf("%d waiting, e.g. %v", n, s)
}

// Stop ends the writes and the sessions.
func (l *Load) Stop() {
	l.cancel()
	l.writing.Wait()
	l.closeConns()
	l.events.Wait()
}

func (l *Load) closeConns() {
	for _, w := range l.writers {
		_ = w.conn.Close()
	}
}

// Verify stops the writers (the sessions stay) and checks, through a client
// of its own, that every znode holds a value at least its last acknowledged
// one and at most the last sent, with a version counting at least every
// acknowledged write: an acknowledged write lost in a failover fails it.
func (l *Load) Verify(ctx context.Context, connectString string) error {
	l.cancel()
	l.writing.Wait()
	c, err := zkclient.Connect(connectString, l.o.SessionTimeout)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.writers {
		if err := c.Sync(ctx, w.path); err != nil {
			return fmt.Errorf("sync %s: %w", w.path, err)
		}
		data, st, err := c.Get(ctx, w.path)
		if err != nil {
			return fmt.Errorf("get %s: %w", w.path, err)
		}
		v, err := strconv.ParseInt(string(data), 10, 64)
		if err != nil {
			return fmt.Errorf("%s holds %q: %w", w.path, data, err)
		}
		if v < w.lastAcked || v > w.issued || int64(st.Version) < w.acks {
			return fmt.Errorf("%s holds %d (version %d); acknowledged up to %d (%d writes), sent up to %d",
				w.path, v, st.Version, w.lastAcked, w.acks, w.issued)
		}
	}
	return nil
}
