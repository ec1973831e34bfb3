package zkclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// WithTLS connects over TLS (a server's secureClientPort) with cfg: its
// RootCAs to trust the servers, its Certificates for x509 authentication.
// Each server's host name is verified unless cfg.ServerName names another
// (or cfg.InsecureSkipVerify, for tests only).
func WithTLS(cfg *tls.Config) Option { return func(c *Conn) { c.tlsCfg = cfg } }

// WithSASL authenticates every connection with SASL DIGEST-MD5 as user,
// right after the session handshake and before any request, as ZooKeeper's
// Java client does with a JAAS Client section. A refused password ends the
// session with StateAuthFailed.
func WithSASL(user, password string) Option {
	return func(c *Conn) { c.saslUser, c.saslPassword = user, password }
}

// tlsDialer wraps dial with a TLS client handshake.
func tlsDialer(cfg *tls.Config, dial func(ctx context.Context, addr string) (net.Conn, error)) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		nc, err := dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		tc := cfg.Clone()
		if tc.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			tc.ServerName = host
		}
		conn := tls.Client(nc, tc)
		if err := conn.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("zkclient: TLS handshake with %s: %w", addr, err)
		}
		return conn, nil
	}
}

// saslLogin runs the DIGEST-MD5 exchange on a new connection (sasl
// requests, op 102), before the read and write loops start.
func (c *Conn) saslLogin(nc net.Conn, br *bufio.Reader, deadline time.Duration) error {
	nc.SetDeadline(time.Now().Add(deadline))
	defer nc.SetDeadline(time.Time{})
	cli := sasl.NewClient(c.saslUser, c.saslPassword)
	msg := cli.Start()
	for {
		c.mu.Lock()
		xid := c.nextXid
		c.nextXid++
		if c.nextXid <= 0 {
			c.nextXid = 1
		}
		c.mu.Unlock()
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		(&wire.RequestHeader{Xid: xid, Type: wire.OpSASL}).Encode(e)
		(&wire.SASLRequest{Token: msg}).Encode(e)
		e.EndFrame()
		if _, err := nc.Write(e.Bytes()); err != nil {
			return err
		}
		b, err := wire.ReadFrame(br, nil, wire.DefaultMaxBuffer)
		if err != nil {
			// ZooKeeper may close without an answer.
			return fmt.Errorf("%w: connection closed during SASL: %w", ErrAuthFailed, err)
		}
		var h wire.ReplyHeader
		d := wire.NewDecoder(b)
		if err := h.Decode(d); err != nil {
			return err
		}
		if h.Xid != xid {
			return fmt.Errorf("zkclient: SASL reply xid %d, want %d", h.Xid, xid)
		}
		if h.Err != 0 {
			return fmt.Errorf("%w: SASL: %w", ErrAuthFailed, wire.ErrCode(h.Err))
		}
		var tok wire.SASLRequest
		if err := tok.Decode(wire.NewDecoder(d.Rest())); err != nil {
			return err
		}
		if tok.Token == nil {
			return fmt.Errorf("%w: the server has no SASL users", ErrAuthFailed)
		}
		next, done, err := cli.Next(tok.Token)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrAuthFailed, err)
		}
		if done {
			return nil
		}
		msg = next
	}
}
