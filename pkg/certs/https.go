package certs

import (
	"crypto/tls"
	"crypto/x509"
)

// Trust is a trust bundle on disk, read again when its file changes.
type Trust struct{ b *bundle }

// NewTrust returns the trust bundle at path (read at the first use).
func NewTrust(path string) *Trust { return &Trust{b: newBundle(path)} }

// VerifyClient verifies a client's certificate chain (leaf first, as
// tls.ConnectionState.PeerCertificates holds it) against the bundle as it is
// on disk now.
func (t *Trust) VerifyClient(chain []*x509.Certificate) error {
	return t.b.verify(chain, x509.ExtKeyUsageClientAuth, "", nil)
}

// HTTPSConfig is the TLS configuration of an HTTPS listener that asks for a
// client certificate but leaves its verification to the handler (with the
// returned Trust, the bundle of f): a client with a wrong certificate, or
// none, gets an HTTP answer that says so instead of a failed handshake, and
// the endpoints that need no credentials stay reachable.
func (f Files) HTTPSConfig() (*tls.Config, *Trust, error) {
	cfg, err := f.base()
	if err != nil {
		return nil, nil, err
	}
	cfg.ClientAuth = tls.RequestClientCert
	return cfg, NewTrust(f.CA), nil
}
