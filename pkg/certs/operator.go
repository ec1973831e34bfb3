package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"
)

// OperatorClient is the operator's side of the admin API of one ensemble's
// members. It issues itself a client certificate naming Operator(ensemble)
// from the ensemble's CA, in memory, and issues a new one when a third of
// its lifetime is left; it trusts only servers whose certificate chains to
// that CA, names the host dialed, and is a member of that ensemble.
type OperatorClient struct {
	ca       *CA
	ensemble string
	validity time.Duration
	roots    *x509.CertPool
	now      func() time.Time // tests

	mu       sync.Mutex
	cert     *tls.Certificate
	issued   time.Time
	notAfter time.Time
}

// NewOperatorClient returns the operator's client for the members of
// ensemble, whose CA is ca; validity is each client certificate's lifetime.
func NewOperatorClient(ca *CA, ensemble string, validity time.Duration) (*OperatorClient, error) {
	if ensemble == "" {
		return nil, errors.New("certs: the operator's certificate needs an ensemble id")
	}
	roots, err := ParseCertificates(ca.CertPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	return &OperatorClient{ca: ca, ensemble: ensemble, validity: validity, roots: pool, now: time.Now}, nil
}

// Certificate returns the current client certificate, issuing a new one
// when there is none or a third of its lifetime is left.
func (o *OperatorClient) Certificate() (*tls.Certificate, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if o.cert != nil && now.Before(o.notAfter.Add(-o.notAfter.Sub(o.issued)/3)) {
		return o.cert, nil
	}
	leaf, err := o.ca.Issue(Operator(o.ensemble), nil, nil, o.validity)
	if err != nil {
		return nil, fmt.Errorf("certs: issuing the operator's certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	o.cert, o.issued, o.notAfter = &pair, now, leaf.NotAfter
	return o.cert, nil
}

// TLSConfig is the client TLS configuration: the server name is the host
// dialed (net/http sets it from the URL), verified against the CA.
func (o *OperatorClient) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    o.roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return o.Certificate()
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			// The chain and the host name are verified by then (RootCAs).
			leaf := Peer(cs)
			if leaf == nil {
				return errors.New("certs: the member presented no certificate")
			}
			id, ok, err := IdentityOf(leaf)
			if err != nil {
				return err
			}
			if !ok || id.Role != RoleMember || id.Ensemble != o.ensemble {
				return fmt.Errorf("certs: %s is not a member of ensemble %s", describe(id, ok), o.ensemble)
			}
			return nil
		},
	}
}

func describe(id Identity, ok bool) string {
	if !ok {
		return "a certificate without a zkensemble identity"
	}
	return id.String()
}
