package refzk

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
)

// PKI is a CA that gives our members certificates (zoo.cfg's sslQuorum keys
// with PEM files: mutual TLS between members, HTTPS on the admin port) and
// the tests the operator's client certificate.
type PKI struct {
	CA *certs.CA
	// EnsembleID is the ensemble the certificates name: our binary's
	// --ensemble-id, "default" unless a test passes another.
	EnsembleID string
	// DNSNames, when set, adds names to member id's certificate (it always
	// names localhost and 127.0.0.1).
	DNSNames func(id int) []string
	// IPs, when set, adds addresses to member id's certificate (members in
	// network namespaces listen on their own).
	IPs func(id int) []net.IP

	dir string
	op  *certs.OperatorClient
}

// NewPKI makes a CA for one test.
func NewPKI(t T) *PKI {
	t.Helper()
	ca, err := certs.NewCA("refzk test CA", 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	p := &PKI{CA: ca, EnsembleID: "default", dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(p.dir, "ca.crt"), ca.CertPEM, 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// MemberFiles writes a certificate for member id of p.EnsembleID and its
// key into one PEM file (ZooKeeper's PEM keystore) and returns it with the
// CA bundle. Calling it again replaces the files (a rotation).
func (p *PKI) MemberFiles(t T, id int) certs.Files {
	t.Helper()
	dns := []string{"localhost"}
	if p.DNSNames != nil {
		dns = append(dns, p.DNSNames(id)...)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1)}
	if p.IPs != nil {
		ips = append(ips, p.IPs(id)...)
	}
	leaf, err := p.CA.Issue(certs.Member(p.EnsembleID, uint64(id)), dns, ips, 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	keystore := filepath.Join(p.dir, fmt.Sprintf("member-%d.pem", id))
	// Replaced atomically, as a Secret volume does: a member may be reading it.
	if err := os.WriteFile(keystore+".tmp", append(leaf.KeyPEM, leaf.CertPEM...), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	if err := os.Rename(keystore+".tmp", keystore); err != nil {
		t.Fatalf("%v", err)
	}
	return certs.Files{Cert: keystore, Key: keystore, CA: filepath.Join(p.dir, "ca.crt")}
}

// Operator is what the operator presents to p's members: HTTPS that trusts
// only members of p.EnsembleID under p.CA, with the operator's certificate.
func (p *PKI) Operator(t T) adminapi.Credentials {
	t.Helper()
	if p.op == nil {
		op, err := certs.NewOperatorClient(p.CA, p.EnsembleID, time.Hour)
		if err != nil {
			t.Fatalf("%v", err)
		}
		p.op = op
	}
	return adminapi.Credentials{TLS: p.op.TLSConfig()}
}

// adminSecurity adds to our member's zoo.cfg what its admin API needs: the
// member certificates when o.PKI is set, else a bearer token (o.AdminToken,
// or a random one), and records on s how to reach it.
func (o Options) adminSecurity(t T, dir string, id int, cfg map[string]string, s *Server) {
	t.Helper()
	if o.PKI != nil {
		f := o.PKI.MemberFiles(t, id)
		cfg["sslQuorum"] = "true"
		cfg["ssl.quorum.keyStore.location"], cfg["ssl.quorum.keyStore.type"] = f.Cert, "PEM"
		cfg["ssl.quorum.trustStore.location"], cfg["ssl.quorum.trustStore.type"] = f.CA, "PEM"
		s.adminScheme, s.Admin = "https", o.PKI.Operator(t)
		return
	}
	tok := o.AdminToken
	if tok == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		tok = base64.RawURLEncoding.EncodeToString(b)
	}
	path := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	cfg["admin.tokenFile"] = path
	s.adminScheme, s.Admin = "http", adminapi.Credentials{Token: tok}
}

// AdminURL is our server's admin base URL ("" for ZooKeeper).
func (s *Server) AdminURL() string {
	if s.AdminAddr == "" {
		return ""
	}
	return s.adminScheme + "://" + s.AdminAddr
}

// AdminClient calls our server's admin API with the credentials it was
// started with.
func (s *Server) AdminClient() *adminapi.Client {
	return adminapi.NewClient(s.AdminURL(), nil, s.Admin)
}
