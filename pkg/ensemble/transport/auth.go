package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// errUnproven: the peer did not prove the identity it claims.
var errUnproven = errors.New("transport: the peer's certificate does not name the member it claims to be")

// checkPeerCert tells whether a verified certificate speaks for member id
// of this ensemble. A certificate with a zkensemble identity must name
// exactly that member (proven). One without (made for ZooKeeper by hand) is
// a member of the ensemble by its CA; it proves the id only through host
// name verification against the member's address, when that is on.
func (t *Transport) checkPeerCert(leaf *x509.Certificate, id uint64) (proven bool, err error) {
	got, ok, err := certs.IdentityOf(leaf)
	switch {
	case err != nil:
		return false, err
	case ok && got == certs.Member(t.cfg.Ensemble, id):
		return true, nil
	case ok:
		return false, fmt.Errorf("%w: it names %s", errUnproven, got)
	case !t.cfg.HostnameVerification:
		return false, nil
	}
	host := hostOf(t.cfg.Members.Address(id))
	if host == "" {
		return false, fmt.Errorf("%w: member %d has no known address to verify", errUnproven, id)
	}
	if err := leaf.VerifyHostname(host); err != nil {
		return false, fmt.Errorf("%w: %w", errUnproven, err)
	}
	return true, nil
}

// clientTLS is the configuration to dial member id with: the acceptor must
// prove it is that member.
func (t *Transport) clientTLS(id uint64) (*tls.Config, error) {
	return t.cfg.TLS.ClientConfig("", func(leaf *x509.Certificate) error {
		_, err := t.checkPeerCert(leaf, id)
		return err
	})
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
