package refzk

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// PKI is a test ensemble's certificate authority: each member of our binary
// gets a certificate naming its ensemble and id, in ZooKeeper's PEM keystore
// form (key and certificate in one file, the sslQuorum keys), and tests get
// client certificates (the operator's) from the same CA.
type PKI struct {
	Ensemble string
	CA       *certs.CA
	dir      string
	mu       sync.Mutex
}

// DefaultEnsembleID is what our binary calls its ensemble without --ensemble-id.
const DefaultEnsembleID = "default"

// NewPKI makes a CA for an ensemble's members.
func NewPKI(t T, ensemble string) *PKI {
	t.Helper()
	ca, err := certs.NewCA("test members of "+ensemble, 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	p := &PKI{Ensemble: ensemble, CA: ca, dir: t.TempDir()}
	if err := os.WriteFile(p.CAFile(), ca.CertPEM, 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// CAFile is the trust bundle's path.
func (p *PKI) CAFile() string { return filepath.Join(p.dir, "ca.pem") }

// KeyStore writes (again, with a new key) the PEM keystore of member id and
// returns its path; rewriting it rotates the member's certificate.
func (p *PKI) KeyStore(t T, id int) string {
	t.Helper()
	return p.issue(t, fmt.Sprintf("member-%d.pem", id), certs.Member(p.Ensemble, uint64(id)))
}

// Client writes a certificate for id (e.g. certs.Operator) and returns the
// files a TLS client uses.
func (p *PKI) Client(t T, name string, id certs.Identity) certs.Files {
	t.Helper()
	ks := p.issue(t, name+".pem", id)
	return certs.Files{Cert: ks, Key: ks, CA: p.CAFile()}
}

func (p *PKI) issue(t T, name string, id certs.Identity) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	leaf, err := p.CA.Issue(id, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path+".tmp", append(append([]byte{}, leaf.KeyPEM...), leaf.CertPEM...), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatalf("%v", err)
	}
	return path
}

// quorumTLS adds the sslQuorum keys of member id to a zoo.cfg.
func (p *PKI) quorumTLS(t T, cfg map[string]string, id int) {
	cfg["sslQuorum"] = "true"
	cfg["ssl.quorum.keyStore.location"] = p.KeyStore(t, id)
	cfg["ssl.quorum.keyStore.type"] = "PEM"
	cfg["ssl.quorum.trustStore.location"] = p.CAFile()
	cfg["ssl.quorum.trustStore.type"] = "PEM"
}
