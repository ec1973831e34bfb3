package transport

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// stream is one inbound connection from a member, after the handshake.
type stream struct {
	t      *Transport
	c      net.Conn
	from   uint64
	proven bool
	warned bool // a misbehaving peer is logged once per stream
}

// reason texts sent to refused dialers: they name no ids.
const (
	reasonRefused = "refused"
	reasonRemoved = "refused: removed from the configuration"
)

// serveConn authenticates a dialer, then reads its frames until it goes.
func (t *Transport) serveConn(raw net.Conn) {
	defer raw.Close()
	t.track(raw, true)
	defer t.track(raw, false)
	connDone := make(chan struct{})
	defer close(connDone)
	go func() {
		select {
		case <-t.done:
			raw.Close()
		case <-connDone:
		}
	}()
	_ = raw.SetDeadline(time.Now().Add(handshakeTimeout))
	s, br, err := t.accept(raw)
	if err != nil {
		t.log.Warn("ensemble: refused a peer", "remote", raw.RemoteAddr().String(), "err", err)
		return
	}
	_ = raw.SetDeadline(time.Time{})
	t.peerReconnected(s.from, hostOf(raw.RemoteAddr().String()))
	if t.cfg.OnStream != nil {
		t.cfg.OnStream(s.from, true)
		defer t.cfg.OnStream(s.from, false)
	}
	s.serve(br)
}

// accept runs the acceptor's side of the handshake. A dialer that fails it
// gets "refused" (or nothing, when it is not a member stream at all).
func (t *Transport) accept(raw net.Conn) (*stream, *bufio.Reader, error) {
	c := raw
	var leaf *x509.Certificate
	if t.serverTLS != nil {
		tc := tls.Server(raw, t.serverTLS)
		if err := tc.Handshake(); err != nil {
			return nil, nil, fmt.Errorf("TLS: %w", err)
		}
		c, leaf = tc, certs.Peer(tc.ConnectionState())
	}
	br := bufio.NewReaderSize(c, 256<<10)
	h, err := readHello(br)
	if err != nil {
		return nil, nil, err
	}
	s := &stream{t: t, c: c, from: h.from}
	refuse := func(code verdict, reason string, cause error) (*stream, *bufio.Reader, error) {
		_ = writeVerdict(c, code, reason)
		return nil, nil, fmt.Errorf("member %d: %w", h.from, cause)
	}
	if leaf != nil {
		if s.proven, err = t.checkPeerCert(leaf, h.from); err != nil {
			return refuse(refused, reasonRefused, err)
		}
	}
	if len(t.cfg.Secret) > 0 {
		if err := t.challenge(c, br, h); err != nil {
			return refuse(refused, reasonRefused, err)
		}
	}
	switch {
	case t.cfg.Ensemble != "" && h.ensemble != t.cfg.Ensemble:
		return refuse(refused, reasonRefused, fmt.Errorf("it belongs to ensemble %q", h.ensemble))
	case h.to != t.cfg.ID:
		return refuse(refused, reasonRefused, fmt.Errorf("it dialed member %d", h.to))
	}
	if err := t.cfg.Members.Admit(h.from, s.proven); err != nil {
		code, reason := refused, reasonRefused
		if errors.Is(err, ErrRemoved) {
			code, reason = removed, reasonRemoved
		}
		return refuse(code, reason, err)
	}
	if err := writeVerdict(c, accepted, ""); err != nil {
		return nil, nil, err
	}
	return s, br, nil
}

// challenge proves this member knows the shared secret and checks that the
// dialer does.
func (t *Transport) challenge(c net.Conn, br *bufio.Reader, h *hello) error {
	nonce := newNonce()
	if err := writeVerdict(c, challenge, string(append(nonce[:], proof(t.cfg.Secret, sideAcceptor, h, nonce)...))); err != nil {
		return err
	}
	got, err := readProof(br)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, proof(t.cfg.Secret, sideDialer, h, nonce)) {
		return errors.New("it did not prove the shared secret")
	}
	return nil
}

// serve reads frames. Every frame re-checks that the peer is still admitted
// (a member removed while connected learns it here).
func (s *stream) serve(br *bufio.Reader) {
	t := s.t
	var scratch []byte
	asm := assembler{max: t.cfg.MaxSnapshot}
	for {
		kind, body, err := readFrame(br, &scratch, t.cfg.MaxFrame)
		if err != nil {
			if errors.Is(err, errFrame) {
				t.log.Warn("ensemble: closing a peer's stream", "peer", s.from, "err", err)
			}
			return
		}
		if t.dropped(s.from, t.cfg.ID) {
			continue
		}
		if err := t.cfg.Members.Admit(s.from, s.proven); err != nil {
			code, reason := refused, reasonRefused
			if errors.Is(err, ErrRemoved) {
				code, reason = removed, reasonRemoved
			}
			_ = writeVerdict(s.c, code, reason)
			return
		}
		switch kind {
		case KindRaft:
			var m pb.Message
			if err := m.Unmarshal(body); err != nil {
				t.log.Warn("ensemble: undecodable message from a peer", "peer", s.from, "err", err)
				return
			}
			s.deliver(&m)
		case KindSnapshot:
			m, err := asm.add(body)
			if err != nil {
				t.log.Warn("ensemble: closing a peer's stream", "peer", s.from, "err", err)
				return
			}
			if m != nil {
				s.deliver(m)
			}
		default:
			if h := t.handler(kind); h != nil {
				h(s.from, append([]byte(nil), body...))
			}
		}
	}
}

// proposalWait bounds how long a forwarded proposal may wait for this member
// to know a leader. Raft takes a proposal only while a leader is known and
// would otherwise block the whole stream, appends and votes behind it, until
// one is; a dropped proposal fails the client's request, which it retries.
const proposalWait = 100 * time.Millisecond

// deliver hands a message to Raft if it is the peer's own and addressed
// here; a proposal must also pass Members.CheckProposal.
func (s *stream) deliver(m *pb.Message) {
	t := s.t
	if m.From != s.from || m.To != t.cfg.ID {
		s.misbehaved("a message not from the stream's member or not for this one", m, nil)
		return
	}
	ctx := context.Background()
	if m.Type == pb.MsgProp {
		if err := t.cfg.Members.CheckProposal(s.from, m); err != nil {
			s.misbehaved("a proposal refused", m, err)
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, proposalWait)
		defer cancel()
	}
	if err := t.cfg.Raft.Process(ctx, *m); err != nil {
		t.log.Debug("ensemble: step", "from", s.from, "type", m.Type, "err", err)
	}
}

func (s *stream) misbehaved(what string, m *pb.Message, err error) {
	if s.warned {
		return
	}
	s.warned = true
	s.t.log.Warn("ensemble: dropped "+what+" (logged once per stream)", "peer", s.from, "type", m.Type, "msgFrom", m.From, "msgTo", m.To, "err", err)
}
