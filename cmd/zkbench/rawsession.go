package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// rawSession is a ZooKeeper session spoken by hand over one TCP connection:
// a handshake, then requests, pings and watch notifications. It is what the
// session-scale, fan-out and expiry-storm phases use, because thousands of
// go-zookeeper clients would cost the load generator megabytes each (1.5 MB
// buffers) and because a raw session stops pinging exactly when told to:
// closing its socket ends its pings without a closeSession request, so the
// server must expire it.
type rawSession struct {
	nc      net.Conn
	sid     int64
	timeout time.Duration

	wmu     sync.Mutex
	wbuf    []byte
	xid     int32
	pmu     sync.Mutex
	pending map[int32]chan rawReply
	onWatch func(ev wire.WatcherEvent, at time.Time)
	closed  atomic.Bool
	done    chan struct{}
}

type rawReply struct {
	err  int32
	body []byte
}

var openACL = []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "world", ID: "anyone"}}}

// rawConnect opens a new session with the given timeout; onWatch (may be
// nil) is called from the session's reader for every notification.
func rawConnect(addr string, timeout time.Duration, onWatch func(wire.WatcherEvent, time.Time)) (*rawSession, error) {
	return rawConnectWithin(addr, timeout, 30*time.Second, onWatch)
}

// rawConnectWithin is rawConnect with a limit on the dial and handshake.
func rawConnectWithin(addr string, timeout, limit time.Duration, onWatch func(wire.WatcherEvent, time.Time)) (*rawSession, error) {
	nc, resp, err := rawHandshake(addr, timeout, limit)
	if err != nil {
		return nil, err
	}
	s := &rawSession{nc: nc, sid: resp.SessionID, timeout: time.Duration(resp.TimeOut) * time.Millisecond,
		pending: map[int32]chan rawReply{}, onWatch: onWatch, done: make(chan struct{})}
	go s.readLoop()
	return s, nil
}

// rawHandshake dials addr and opens a session with the given timeout,
// within limit.
func rawHandshake(addr string, timeout, limit time.Duration) (net.Conn, wire.ConnectResponse, error) {
	var resp wire.ConnectResponse
	nc, err := dialTarget(addr, min(limit, 10*time.Second))
	if err != nil {
		return nil, resp, err
	}
	nc.SetDeadline(time.Now().Add(limit))
	if _, err := nc.Write(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: int32(timeout / time.Millisecond), Passwd: make([]byte, 16)}))); err != nil {
		nc.Close()
		return nil, resp, err
	}
	buf, err := wire.ReadFrame(nc, nil, 1<<16)
	if err != nil {
		nc.Close()
		return nil, resp, fmt.Errorf("handshake: %w", err)
	}
	if err := resp.Decode(wire.NewDecoder(buf)); err != nil || resp.SessionID == 0 {
		nc.Close()
		return nil, resp, fmt.Errorf("handshake refused (%w)", err)
	}
	nc.SetDeadline(time.Time{})
	return nc, resp, nil
}

func (s *rawSession) readLoop() {
	defer close(s.done)
	var buf []byte
	for {
		b, err := wire.ReadFrame(s.nc, buf, 1<<22)
		if err != nil {
			s.closed.Store(true)
			s.pmu.Lock()
			for x, ch := range s.pending {
				ch <- rawReply{err: -4} // connection loss
				delete(s.pending, x)
			}
			s.pmu.Unlock()
			return
		}
		buf = b
		if len(b) < 16 {
			continue
		}
		xid := int32(binary.BigEndian.Uint32(b))
		code := int32(binary.BigEndian.Uint32(b[12:]))
		switch xid {
		case wire.XidPing:
		case -1: // notification
			if s.onWatch != nil {
				var ev wire.WatcherEvent
				if ev.Decode(wire.NewDecoder(b[16:])) == nil {
					s.onWatch(ev, time.Now())
				}
			}
		default:
			s.pmu.Lock()
			ch := s.pending[xid]
			delete(s.pending, xid)
			s.pmu.Unlock()
			if ch != nil {
				ch <- rawReply{err: code, body: append([]byte(nil), b[16:]...)}
			}
		}
	}
}

// send writes one request and returns the channel its reply arrives on.
func (s *rawSession) send(op int32, req wire.Record) (<-chan rawReply, error) {
	ch := make(chan rawReply, 1)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.xid++
	xid := s.xid
	s.pmu.Lock()
	s.pending[xid] = ch
	s.pmu.Unlock()
	e := wire.NewEncoder(s.wbuf)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: xid, Type: op}).Encode(e)
	if req != nil {
		req.Encode(e)
	}
	e.EndFrame()
	s.wbuf = e.Bytes()
	if _, err := s.nc.Write(s.wbuf); err != nil {
		s.pmu.Lock()
		delete(s.pending, xid)
		s.pmu.Unlock()
		return nil, err
	}
	return ch, nil
}

var errRawTimeout = errors.New("no reply within 60s")

// call sends one request and waits for its reply.
func (s *rawSession) call(op int32, req wire.Record) (rawReply, error) {
	ch, err := s.send(op, req)
	if err != nil {
		return rawReply{}, err
	}
	select {
	case r := <-ch:
		if r.err != 0 {
			return r, wire.ErrCode(r.err)
		}
		return r, nil
	case <-time.After(60 * time.Second):
		return rawReply{}, errRawTimeout
	}
}

var pingFrame = func() []byte {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: wire.XidPing, Type: wire.OpPing}).Encode(e)
	e.EndFrame()
	return e.Bytes()
}()

// ping sends a heartbeat (its reply is discarded by the reader).
func (s *rawSession) ping() error {
	if s.closed.Load() {
		return net.ErrClosed
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.nc.Write(pingFrame)
	return err
}

// drop closes the socket without a closeSession request: the session stops
// pinging and lives on in the server until it expires.
func (s *rawSession) drop() {
	s.closed.Store(true)
	s.nc.Close()
}

// pinger heartbeats a growing set of raw sessions, each once per interval,
// spread over the interval, until stopped.
type pinger struct {
	mu       sync.Mutex
	sessions []*rawSession
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}
	sent     atomic.Int64
}

func startPinger(interval time.Duration) *pinger {
	p := &pinger{interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *pinger) add(s *rawSession) {
	p.mu.Lock()
	p.sessions = append(p.sessions, s)
	p.mu.Unlock()
}

func (p *pinger) loop() {
	defer close(p.done)
	const slices = 50
	t := time.NewTicker(p.interval / slices)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		all := p.sessions
		p.mu.Unlock()
		n := (len(all) + slices - 1) / slices
		for i := 0; i < n && len(all) > 0; i++ {
			if next >= len(all) {
				next = 0
			}
			if all[next].ping() == nil {
				p.sent.Add(1)
			}
			next++
		}
	}
}

func (p *pinger) close() {
	close(p.stop)
	<-p.done
}

// openRaw opens n raw sessions to the given addresses (round robin) with
// the given concurrency, registering each with the pinger.
func openRaw(addrs []string, n, concurrency int, timeout time.Duration, p *pinger, onWatch func(int, wire.WatcherEvent, time.Time)) ([]*rawSession, error) {
	out := make([]*rawSession, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var firstErr atomic.Value
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				var cb func(wire.WatcherEvent, time.Time)
				if onWatch != nil {
					cb = func(ev wire.WatcherEvent, at time.Time) { onWatch(i, ev, at) }
				}
				var s *rawSession
				var err error
				for try := 0; try < 5; try++ {
					if s, err = rawConnect(addrs[i%len(addrs)], timeout, cb); err == nil {
						break
					}
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("session %d: %w", i, err))
					next.Store(int64(n))
					return
				}
				out[i] = s
				if p != nil {
					p.add(s)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		for _, s := range out {
			if s != nil {
				s.drop()
			}
		}
		return nil, err
	}
	return out, nil
}
