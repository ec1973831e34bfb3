package sessionserver

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/x500"
)

// clientTLSConfig is the secure client port's TLS configuration: the key
// pair read at every handshake and the trust bundle when its file changes
// (pkg/certs), so renewed certificates take effect without a restart.
func (cs ClientSecurity) clientTLSConfig() (*tls.Config, error) {
	cfg, err := cs.TLSFiles().ClientPortConfig(cs.ClientAuth)
	if err != nil {
		return nil, err
	}
	cfg.MinVersion, cfg.MaxVersion = cs.MinVersion, cs.MaxVersion
	if len(cs.CipherSuites) > 0 {
		cfg.CipherSuites = cs.CipherSuites
	}
	return cfg, nil
}

// openClientListeners opens the plain client port and the secure one, as
// configured; at least one (Validate).
func (s *Server) openClientListeners() error {
	if s.cfg.ClientPort >= 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.ClientPortAddress, strconv.Itoa(s.cfg.ClientPort)))
		if err != nil {
			return fmt.Errorf("client port: %w", err)
		}
		s.ln = ln
	}
	cs := s.cfg.Client
	if cs.SecureClientPort < 0 {
		return nil
	}
	cfg, err := cs.clientTLSConfig()
	if err != nil {
		s.closeClientListeners()
		return fmt.Errorf("secure client port: %w", err)
	}
	addr := cs.SecureClientPortAddress
	if addr == "" {
		addr = s.cfg.ClientPortAddress
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(cs.SecureClientPort)))
	if err != nil {
		s.closeClientListeners()
		return fmt.Errorf("secure client port: %w", err)
	}
	s.secureLn, s.secureTLS = ln, cfg
	if cs.ClientAuth != certs.ClientAuthNone && !cs.X509Provider {
		s.logger.Warn("ssl.clientAuth asks clients for certificates but no x509 authProvider is registered: as in ZooKeeper, a client that presents one is disconnected; add authProvider.x509=" + x509ProviderClass)
	}
	return nil
}

func (s *Server) closeClientListeners() {
	for _, ln := range []net.Listener{s.ln, s.secureLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// SecureAddr is the secure client port's address, "" when it is off.
func (s *Server) SecureAddr() string {
	if s.secureLn == nil {
		return ""
	}
	return s.secureLn.Addr().String()
}

// listenerPort is a listener's port for conf, -1 when it is off (as ZooKeeper reports).
func listenerPort(ln net.Listener) int {
	if ln == nil {
		return -1
	}
	return ln.Addr().(*net.TCPAddr).Port
}

// startTLS runs the TLS handshake of a connection of the secure port (a
// no-op for the plain port) and gives it the x509 id of its client
// certificate, as ZooKeeper's NettyServerCnxnFactory.CertificateVerifier
// does. It returns false when the connection must close.
func (c *conn) startTLS() bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return true
	}
	s := c.srv
	_ = tc.SetDeadline(time.Now().Add(s.cfg.Client.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.metrics.authFailed.Inc()
		s.stats.tlsAuthFailed.Add(1)
		s.logger.Info("TLS handshake failed", "remote", c.nc.RemoteAddr().String(), "err", err)
		return false
	}
	_ = tc.SetDeadline(time.Time{})
	chain := certs.VerifiedChain(tc.ConnectionState())
	if chain == nil || s.cfg.Client.ClientAuth == certs.ClientAuthNone {
		return true
	}
	if !s.cfg.Client.X509Provider {
		s.logger.Warn("closing a TLS client that presented a certificate: no x509 authProvider is registered", "remote", c.nc.RemoteAddr().String())
		return false
	}
	id, err := x500.RFC2253(chain[0].RawSubject)
	if err != nil {
		s.metrics.authFailed.Inc()
		s.stats.tlsAuthFailed.Add(1)
		s.logger.Info("closing a TLS client whose certificate subject cannot be read", "remote", c.nc.RemoteAddr().String(), "err", err)
		return false
	}
	if su := s.cfg.Client.X509SuperUser; su != "" && id == su {
		c.addAuthID(wire.Id{Scheme: "super", ID: id})
		c.auth.Super = true
	}
	c.addAuthID(wire.Id{Scheme: "x509", ID: id})
	c.publishAuth()
	s.logger.Debug("x509 client authenticated", "id", id)
	return true
}
