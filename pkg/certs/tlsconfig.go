package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"

	"go.etcd.io/etcd/client/pkg/v3/tlsutil"
	"go.etcd.io/etcd/client/pkg/v3/transport"

	"github.com/zkensemble/zkensemble/pkg/reloadfile"
)

// Files names one end's PEM files. Key may be the same file as Cert
// (ZooKeeper's PEM keystore); CA is the trust bundle.
type Files struct {
	Cert, Key, CA string
}

// Enabled reports whether any file is named.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Check reads the files once, so a configuration error shows at start, not
// at the first connection.
func (f Files) Check() error {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return fmt.Errorf("certs: a certificate, its key and a trust bundle are all needed (have cert %q, key %q, CA %q)", f.Cert, f.Key, f.CA)
	}
	if _, err := tlsutil.NewCert(f.Cert, f.Key, nil); err != nil {
		return fmt.Errorf("certs: %s / %s: %w", f.Cert, f.Key, err)
	}
	if _, err := loadPool(f.CA); err != nil {
		return err
	}
	return nil
}

// CheckIdentity is called with a peer's verified certificate; an error
// refuses the connection.
type CheckIdentity func(leaf *x509.Certificate) error

// ServerConfig is the TLS configuration of a listener. With required, a
// client without a certificate is refused in the handshake; without, it may
// connect unauthenticated (the handler then sees no peer certificate). A
// certificate that is presented must chain to the bundle and pass check.
func (f Files) ServerConfig(required bool, check CheckIdentity) (*tls.Config, error) {
	cfg, err := f.base()
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequestClientCert
	if required {
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	b := newBundle(f.CA)
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			if required {
				return errors.New("certs: a client certificate is required")
			}
			return nil
		}
		return b.verify(cs.PeerCertificates, x509.ExtKeyUsageClientAuth, "", check)
	}
	return cfg, nil
}

// ClientConfig is the TLS configuration of a dialer. The server's
// certificate must chain to the bundle, name serverName when it is not empty
// (hostname verification), and pass check.
func (f Files) ClientConfig(serverName string, check CheckIdentity) (*tls.Config, error) {
	cfg, err := f.base()
	if err != nil {
		return nil, err
	}
	b := newBundle(f.CA)
	// Verification is ours (below), against the bundle as it is on disk now.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return b.verify(cs.PeerCertificates, x509.ExtKeyUsageServerAuth, serverName, check)
	}
	return cfg, nil
}

// base reads the key pair on every handshake, as etcd's transport does.
func (f Files) base() (*tls.Config, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	info := transport.TLSInfo{CertFile: f.Cert, KeyFile: f.Key}
	cfg, err := info.ServerConfig()
	if err != nil {
		return nil, err
	}
	cfg.ClientCAs, cfg.NextProtos = nil, nil
	cfg.MinVersion = tls.VersionTLS12
	return cfg, nil
}

// bundle is a trust bundle read again when its file changes.
type bundle struct {
	f *reloadfile.File[*x509.CertPool]
}

func newBundle(path string) *bundle {
	return &bundle{f: reloadfile.New(path, func(raw []byte) (*x509.CertPool, error) {
		pool, err := parsePool(raw)
		if err != nil {
			return nil, fmt.Errorf("certs: trust bundle %s: %w", path, err)
		}
		return pool, nil
	})}
}

func (b *bundle) get() (*x509.CertPool, error) {
	pool, err := b.f.Get()
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("certs: trust bundle: %w", err)
	}
	return pool, err
}

func loadPool(path string) (*x509.CertPool, error) {
	return newBundle(path).get()
}

func parsePool(raw []byte) (*x509.CertPool, error) {
	cas, err := ParseCertificates(raw)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	return pool, nil
}

func (b *bundle) verify(peer []*x509.Certificate, usage x509.ExtKeyUsage, dnsName string, check CheckIdentity) error {
	if len(peer) == 0 {
		return errors.New("certs: the peer presented no certificate")
	}
	pool, err := b.get()
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}, DNSName: dnsName}
	if _, err := peer[0].Verify(opts); err != nil {
		return fmt.Errorf("certs: peer certificate: %w", err)
	}
	if check != nil {
		return check(peer[0])
	}
	return nil
}

// Peer returns the verified leaf certificate of a TLS connection's peer, nil
// when it presented none.
func Peer(cs tls.ConnectionState) *x509.Certificate {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates[0]
}
