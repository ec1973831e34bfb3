package transport

import (
	"bufio"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// peer is the outbound stream to one member: a queue, and a writer that
// dials, introduces this member, and writes in batches.
type peer struct {
	id   uint64
	addr string
	q    chan envelope
	stop chan struct{}
	// reset carries the address the peer last connected to us from: when
	// it differs from where our stream goes, the peer restarted elsewhere (a
	// pod gets a new IP) and our stream leads nowhere, so the writer drops it
	// and dials again instead of waiting for TCP to give up.
	reset chan string
	// kick drops the connection (a fault: ResetStreams).
	kick chan struct{}
	// gone carries a connection the peer closed (its process died): the
	// writer drops it before it writes into it, so the first frames for a
	// peer that restarts are not lost in a dead socket.
	gone chan net.Conn
	// up: the writer holds a connection (tests, diagnostics).
	up atomic.Bool
	// retire, while set, stops the peer when it fires (RetirePeer; under Transport.mu).
	retire *time.Timer
}

// envelope is a queued frame: a Raft message, or raw bytes of another kind.
type envelope struct {
	kind Kind
	m    pb.Message
	raw  []byte
}

func newPeer(id uint64, addr string) *peer {
	return &peer{id: id, addr: addr, q: make(chan envelope, 4096), stop: make(chan struct{}), reset: make(chan string, 1), kick: make(chan struct{}, 1),
		gone: make(chan net.Conn, 1)}
}

const (
	dialTimeout      = time.Second
	handshakeTimeout = 5 * time.Second
	writeTimeout     = 10 * time.Second
)

var errChallenge = errors.New("transport: the peer asks for a shared secret this member does not have")

// dial opens a stream to a peer, proves this member's identity and checks
// the peer's; authenticated tells whether the peer proved it is that member
// (only then is its verdict that this member was removed believed).
func (t *Transport) dial(p *peer) (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", p.addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	c := raw
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	authenticated := false
	if t.cfg.TLS.Enabled() {
		cfg, err := t.clientTLS(p.id)
		if err != nil {
			raw.Close()
			return nil, err
		}
		tc := tls.Client(raw, cfg)
		if err := tc.Handshake(); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS with member %d: %w", p.id, err)
		}
		c, authenticated = tc, true
	}
	h := &hello{ensemble: t.cfg.Ensemble, from: t.cfg.ID, to: p.id, nonce: newNonce()}
	if _, err := c.Write(h.encode()); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReader(c)
	code, reason, err := readVerdict(br)
	if err == nil && code == challenge {
		code, reason, err = t.answerChallenge(c, br, h, reason)
		authenticated = authenticated || err == nil
	} else if err == nil && len(t.cfg.Secret) > 0 {
		err = errors.New("transport: the peer did not prove the shared secret")
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	if code != accepted {
		c.Close()
		t.refusedBy(p.id, code, reason, authenticated)
		return nil, fmt.Errorf("refused by member %d: %s", p.id, reason)
	}
	_ = c.SetDeadline(time.Time{})
	// A later verdict is a refusal (this member was removed meanwhile); the
	// end of the stream is the peer gone.
	go func() {
		code, reason, err := readVerdict(br)
		if err == nil {
			t.refusedBy(p.id, code, reason, authenticated)
		}
		c.Close()
		select {
		case p.gone <- c:
		default:
		}
	}()
	return c, nil
}

// answerChallenge checks the acceptor's proof of the shared secret, answers
// with this member's, and reads the verdict.
func (t *Transport) answerChallenge(c net.Conn, br *bufio.Reader, h *hello, body string) (verdict, string, error) {
	if len(t.cfg.Secret) == 0 {
		return 0, "", errChallenge
	}
	if len(body) != 32+proofLen {
		return 0, "", fmt.Errorf("%w: malformed challenge", errNotMember)
	}
	var nonce [32]byte
	copy(nonce[:], body)
	if !hmac.Equal([]byte(body[32:]), proof(t.cfg.Secret, sideAcceptor, h, nonce)) {
		return 0, "", errors.New("transport: the peer did not prove the shared secret")
	}
	if _, err := c.Write(proof(t.cfg.Secret, sideDialer, h, nonce)); err != nil {
		return 0, "", err
	}
	return readVerdict(br)
}

// refusedBy handles a peer's refusal: an authenticated peer saying that
// this member was removed stops it; anything else is logged.
func (t *Transport) refusedBy(peer uint64, code verdict, reason string, authenticated bool) {
	switch {
	case code == removed && authenticated:
		t.cfg.Members.Removed(peer, reason)
	case code == removed:
		t.log.Error("ensemble: a peer that did not authenticate says this member was removed; ignored", "peer", peer, "reason", reason)
	default:
		t.log.Warn("ensemble: a peer refuses this member", "peer", peer, "reason", reason)
	}
}

func (t *Transport) runPeer(p *peer) {
	var c net.Conn
	var bw *bufio.Writer
	defer func() {
		if c != nil {
			c.Close()
		}
		p.up.Store(false)
	}()
	buf := make([]byte, 0, 64<<10)
	var backoff time.Duration
	for {
		var env envelope
		select {
		case <-p.stop:
			return
		case <-t.done:
			return
		case <-p.kick:
			if c != nil {
				c.Close()
				c = nil
			}
			p.up.Store(false)
			continue
		case from := <-p.reset:
			if c != nil && hostOf(c.RemoteAddr().String()) != from {
				c.Close()
				c = nil
				p.up.Store(false)
			}
			continue
		case dead := <-p.gone:
			if c == dead {
				c = nil
				p.up.Store(false)
			}
			continue
		case env = <-p.q:
		}
		if c == nil {
			var err error
			if c, err = t.dial(p); err != nil {
				c = nil
				t.failed(p.id, env, err)
				// Messages for an unreachable peer are dropped (Raft resends);
				// wait a little before dialing again.
				backoff = min(max(2*backoff, 10*time.Millisecond), 500*time.Millisecond)
				select {
				case <-time.After(backoff):
				case <-p.stop:
					return
				case <-t.done:
					return
				}
				continue
			}
			backoff = 0
			bw = bufio.NewWriterSize(c, 256<<10)
			p.up.Store(true)
		}
		// Write this frame and whatever else is queued, then flush once; a
		// peer that stops reading (gone without a reset) fails the deadline.
		last := env
		err := t.write(c, bw, env, &buf)
		for more := true; err == nil && more; {
			select {
			case e2 := <-p.q:
				err = t.write(c, bw, e2, &buf)
				last = e2
			default:
				more = false
			}
		}
		if err == nil {
			_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
			err = bw.Flush()
		}
		if err != nil {
			c.Close()
			c = nil
			p.up.Store(false)
			t.failed(p.id, last, err)
			continue
		}
	}
}

// failed reports a frame that could not be sent.
func (t *Transport) failed(id uint64, env envelope, err error) {
	t.log.Debug("ensemble: sending to a peer", "peer", id, "err", err)
	if env.kind == KindRaft {
		if env.m.Type == pb.MsgSnap {
			t.cfg.Raft.ReportSnapshot(id, raft.SnapshotFailure)
		}
		t.cfg.Raft.ReportUnreachable(id)
	}
}

// write queues one frame on bw; a snapshot goes out in chunks, flushed as
// they go, and is reported finished once written.
func (t *Transport) write(c net.Conn, bw *bufio.Writer, env envelope, buf *[]byte) error {
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	var err error
	switch {
	case env.kind != KindRaft:
		*buf = appendFrame((*buf)[:0], env.kind, env.raw)
	case env.m.Type == pb.MsgSnap:
		return t.writeSnapshot(c, bw, &env.m, buf)
	default:
		*buf, err = appendRaft((*buf)[:0], &env.m)
		if err != nil {
			return err
		}
	}
	_, err = bw.Write(*buf)
	return err
}

func (t *Transport) writeSnapshot(c net.Conn, bw *bufio.Writer, m *pb.Message, buf *[]byte) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	total := uint64(len(data))
	for off := uint64(0); off < total; {
		n := min(uint64(snapshotChunk), total-off)
		*buf = appendChunk((*buf)[:0], total, off, data[off:off+n])
		_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := bw.Write(*buf); err != nil {
			return err
		}
		off += n
	}
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := bw.Flush(); err != nil {
		return err
	}
	t.cfg.Raft.ReportSnapshot(m.To, raft.SnapshotFinish)
	return nil
}

// peerReconnected tells the writer to member id where the peer now is.
func (t *Transport) peerReconnected(id uint64, host string) {
	t.mu.Lock()
	p := t.peers[id]
	t.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.reset <- host:
	default:
	}
}

// peerConnected reports whether the stream to member id holds a connection.
func (t *Transport) peerConnected(id uint64) bool {
	t.mu.Lock()
	p := t.peers[id]
	t.mu.Unlock()
	return p != nil && p.up.Load()
}
