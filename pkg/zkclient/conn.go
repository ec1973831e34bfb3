package zkclient

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Errors of the client itself. Server errors are wire.ErrCode values
// (wire.ErrNoNode, ...); a request lost with its connection fails with
// wire.ErrConnectionLoss and may be retried.
var (
	ErrClosed         = errors.New("zkclient: connection closed")
	ErrSessionExpired = wire.ErrSessionExpired
	ErrConnectionLoss = wire.ErrConnectionLoss
	ErrAuthFailed     = wire.ErrAuthFailed
	errProtocol       = errors.New("zkclient: protocol error")
	errReaderDone     = errors.New("zkclient: reader ended")
)

// Option configures a Conn.
type Option func(*Conn)

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Conn) { c.log = l } }

// WithDialer replaces net.Dialer (tests, proxies).
func WithDialer(d func(ctx context.Context, addr string) (net.Conn, error)) Option {
	return func(c *Conn) { c.dial = d }
}

// WithBackoff sets the pause after every server has been tried (default 1 s, as ZooKeeper).
func WithBackoff(d time.Duration) Option { return func(c *Conn) { c.backoff = d } }

// WithReconnectJitter sets the bound of the random delay before reconnecting (default 1 s, as ZooKeeper).
func WithReconnectJitter(d time.Duration) Option { return func(c *Conn) { c.jitter = d } }

// WithRand makes host shuffling and rebalancing deterministic (tests).
func WithRand(r *rand.Rand) Option { return func(c *Conn) { c.rnd = r } }

// Conn is a ZooKeeper session. It is safe for concurrent use.
type Conn struct {
	log  *slog.Logger
	dial func(ctx context.Context, addr string) (net.Conn, error)
	// tlsCfg and saslUser/saslPassword: security.go.
	tlsCfg                 *tls.Config
	saslUser, saslPassword string
	backoff                time.Duration
	jitter                 time.Duration
	rnd                    *rand.Rand
	chroot                 string
	timeout                time.Duration // requested

	hmu   sync.Mutex // guards hosts
	hosts *HostProvider

	state      atomic.Int32
	sessionID  atomic.Int64
	negotiated atomic.Int64 // ms
	lastZxid   atomic.Int64
	passwd     []byte

	events *queue
	sendq  chan *request
	closed chan struct{}
	done   chan struct{}
	once   sync.Once
	// closing is set by Close before it sends closeSession, so the session
	// loop does not reconnect when the server then drops the connection.
	closing atomic.Bool

	mu      sync.Mutex // guards pending, auths, current, nextXid
	pending []*request
	auths   []authReq
	current net.Conn
	nextXid int32
	server  string

	watches watchRegistry
	ro      readOnlyClient // readonly.go
}

type authReq struct {
	scheme string
	auth   []byte
	done   chan error // nil once answered
}

type request struct {
	xid   int32
	op    int32
	req   wire.Record
	resp  wire.Record
	watch *watchSpec
	done  chan struct{}
	hdr   wire.ReplyHeader
	err   error
}

// Connect starts a session with the servers of connectString
// ("host:port,...[/chroot]"). It returns at once; the session is established
// in the background and its states arrive on Events. Requests issued before
// then wait for the connection.
func Connect(connectString string, sessionTimeout time.Duration, opts ...Option) (*Conn, error) {
	hosts, chroot, err := ParseConnectString(connectString)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		log:     slog.Default(),
		backoff: time.Second,
		jitter:  time.Second,
		chroot:  chroot,
		timeout: sessionTimeout,
		events:  newQueue(),
		sendq:   make(chan *request, 256),
		closed:  make(chan struct{}),
		done:    make(chan struct{}),
		passwd:  make([]byte, 16),
		nextXid: 1,
	}
	c.dial = func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	for _, o := range opts {
		o(c)
	}
	if c.tlsCfg != nil {
		c.dial = tlsDialer(c.tlsCfg, c.dial)
	}
	c.hosts = NewHostProvider(hosts, c.rnd)
	c.watches.init()
	c.state.Store(int32(StateConnecting))
	go c.run()
	return c, nil
}

// Events delivers session state changes in order. Read it: events queue up
// without bound until read.
func (c *Conn) Events() <-chan Event { return c.events.out }

// State is the current session state.
func (c *Conn) State() State { return State(c.state.Load()) }

// SessionID is the session id (0 before the first connection).
func (c *Conn) SessionID() int64 { return c.sessionID.Load() }

// SessionTimeout is the timeout the server negotiated.
func (c *Conn) SessionTimeout() time.Duration {
	return time.Duration(c.negotiated.Load()) * time.Millisecond
}

// Server is the address of the server currently connected, or "".
func (c *Conn) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server
}

// LastZxid is the highest zxid this client has seen.
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

func (c *Conn) setState(s State, server string, err error) {
	if State(c.state.Swap(int32(s))) == s && s != StateConnected {
		return
	}
	c.events.push(Event{Type: EventSession, State: s, Server: server, Err: err})
}

func (c *Conn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// run is the session loop: connect, serve the connection until it fails,
// move to the next server, until the session ends.
func (c *Conn) run() {
	defer close(c.done)
	first := true
	for {
		if c.isClosed() || c.closing.Load() {
			return
		}
		c.hmu.Lock()
		addr, backOff := c.hosts.Next()
		n := c.hosts.Size()
		c.hmu.Unlock()
		if rw := c.takeRWServer(); rw != "" {
			addr, backOff = rw, false
		}
		delay := time.Duration(0)
		if !first && c.jitter > 0 {
			delay = time.Duration(rand.Int64N(int64(c.jitter)))
		}
		if backOff {
			delay += c.backoff
		}
		first = false
		if delay > 0 && !c.sleep(delay) {
			return
		}
		err := c.session(addr, n)
		switch {
		case errors.Is(err, ErrSessionExpired):
			c.expire(StateExpired, ErrSessionExpired)
			return
		case errors.Is(err, ErrAuthFailed):
			c.expire(StateAuthFailed, ErrAuthFailed)
			return
		case c.isClosed():
			return
		}
		c.log.Debug("zkclient: connection lost", "server", addr, "err", err)
	}
}

func (c *Conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.closed:
		return false
	}
}

// expire ends the session: every waiting request and watch is told.
func (c *Conn) expire(s State, err error) {
	c.setState(s, "", err)
	c.failPending(err)
	c.watches.endAll(s, err)
	c.drainSendq(err)
	c.events.close()
}

func (c *Conn) drainSendq(err error) {
	for {
		select {
		case r := <-c.sendq:
			r.err = err
			close(r.done)
		default:
			return
		}
	}
}

func (c *Conn) failPending(err error) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	auths := c.auths
	for i := range c.auths {
		c.auths[i].done = nil
	}
	c.mu.Unlock()
	for _, r := range pending {
		r.err = err
		close(r.done)
	}
	for _, a := range auths {
		if a.done != nil {
			a.done <- err
		}
	}
}

// do sends a request and waits for its reply. Cancelling ctx stops the
// wait, not the request: it may still be applied.
func (c *Conn) do(ctx context.Context, op int32, req, resp wire.Record, w *watchSpec) error {
	switch c.State() {
	case StateExpired:
		return ErrSessionExpired
	case StateAuthFailed:
		return ErrAuthFailed
	case StateClosed:
		return ErrClosed
	}
	r := &request{op: op, req: req, resp: resp, watch: w, done: make(chan struct{})}
	select {
	case c.sendq <- r:
	case <-c.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AddAuth adds an identity (scheme "digest", auth "user:password") to the
// session; it is replayed after every reconnect.
func (c *Conn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	done := make(chan error, 1)
	c.mu.Lock()
	c.auths = append(c.auths, authReq{scheme: scheme, auth: auth, done: done})
	nc := c.current
	c.mu.Unlock()
	if nc != nil {
		// Sent out of band with xid -4, as the Java client does; the write loop
		// replays it after a reconnect if this write is lost.
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}).Encode(e)
		(&wire.AuthPacket{Scheme: scheme, Auth: auth}).Encode(e)
		e.EndFrame()
		c.writeRaw(e.Bytes())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
}

// writeRaw writes a frame outside the request queue (auth). It goes through
// the send queue as a pseudo-request so writes never interleave.
func (c *Conn) writeRaw(frame []byte) {
	c.sendq <- &request{op: rawOp, req: rawFrame(frame), done: make(chan struct{})}
}

// Close ends the session (closeSession) and the connection.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		c.closing.Store(true)
		if c.State() == StateConnected {
			ctx, cancel := context.WithTimeout(context.Background(), c.SessionTimeout())
			err = c.do(ctx, wire.OpCloseSession, nil, nil, nil)
			cancel()
		}
		close(c.closed)
		c.mu.Lock()
		if c.current != nil {
			c.current.Close()
		}
		c.mu.Unlock()
		<-c.done
		c.state.Store(int32(StateClosed))
		c.failPending(ErrClosed)
		c.drainSendq(ErrClosed)
		c.watches.endAll(StateClosed, ErrClosed)
		c.events.push(Event{Type: EventSession, State: StateClosed})
		c.events.close()
	})
	return err
}

// reconnect drops the current connection; the session loop moves to the
// server the host provider picks next (UpdateServerList). The client is no
// longer on that server from here: Server reports none until it reattaches.
func (c *Conn) reconnect() {
	c.mu.Lock()
	if c.current != nil {
		c.current.Close()
	}
	c.current, c.server = nil, ""
	c.mu.Unlock()
}
