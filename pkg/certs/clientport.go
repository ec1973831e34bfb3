package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// ClientAuth is whether a TLS listener for ZooKeeper clients asks them for
// a certificate (ZooKeeper's ssl.clientAuth).
type ClientAuth int

const (
	// ClientAuthNeed refuses a client without a certificate of the bundle
	// (ZooKeeper's default).
	ClientAuthNeed ClientAuth = iota
	// ClientAuthWant asks for one: a client may connect without, but a
	// certificate that is presented must chain to the bundle.
	ClientAuthWant
	// ClientAuthNone asks for none.
	ClientAuthNone
)

// ParseClientAuth reads ssl.clientAuth's value (none, want, need).
func ParseClientAuth(s string) (ClientAuth, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "need", "":
		return ClientAuthNeed, nil
	case "want":
		return ClientAuthWant, nil
	case "none":
		return ClientAuthNone, nil
	}
	return 0, fmt.Errorf("%q is not none, want or need", s)
}

func (a ClientAuth) String() string {
	return [...]string{"need", "want", "none"}[a]
}

// ClientPortConfig is the TLS configuration of a listener for ZooKeeper
// clients: the key pair read at every handshake (so a renewed certificate is
// served at once), and a client certificate verified against the bundle as
// it is on disk when the handshake happens. With ClientAuthNone the bundle
// may be left out.
func (f Files) ClientPortConfig(auth ClientAuth) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, fmt.Errorf("certs: the client port needs a certificate and its key (have cert %q, key %q)", f.Cert, f.Key)
	}
	if auth != ClientAuthNone && f.CA == "" {
		return nil, errors.New("certs: verifying client certificates needs a trust bundle")
	}
	if f.CA == "" {
		return f.keyPairOnly()
	}
	cfg, err := f.ServerConfig(auth == ClientAuthNeed, nil)
	if err != nil {
		return nil, err
	}
	if auth == ClientAuthNone {
		cfg.ClientAuth, cfg.VerifyConnection = tls.NoClientCert, nil
	}
	return cfg, nil
}

func (f Files) keyPairOnly() (*tls.Config, error) {
	info := transport.TLSInfo{CertFile: f.Cert, KeyFile: f.Key}
	cfg, err := info.ServerConfig()
	if err != nil {
		return nil, fmt.Errorf("certs: %s / %s: %w", f.Cert, f.Key, err)
	}
	cfg.ClientCAs, cfg.NextProtos = nil, nil
	cfg.ClientAuth = tls.NoClientCert
	cfg.MinVersion = tls.VersionTLS12
	return cfg, nil
}

// VerifiedChain returns the client's certificate chain of a finished
// handshake on a listener of ClientPortConfig (verified there), nil when it
// presented none.
func VerifiedChain(cs tls.ConnectionState) []*x509.Certificate {
	if !cs.HandshakeComplete || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates
}
