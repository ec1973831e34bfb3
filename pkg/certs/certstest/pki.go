package certstest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// PKI is a CA and the directory its files are written to. CA may be
// replaced (a test rotating to the next CA); Files then issues from it.
type PKI struct {
	t   testing.TB
	Dir string
	CA  *certs.CA
}

// New makes a CA named name, valid for an hour, and writes its certificate
// to ca.crt in a new temporary directory.
func New(t testing.TB, name string) *PKI {
	t.Helper()
	ca, err := certs.NewCA(name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{t: t, Dir: t.TempDir(), CA: ca}
	p.Write("ca.crt", ca.CertPEM)
	return p
}

// Write replaces the file name in the directory with b and returns its path.
func (p *PKI) Write(name string, b []byte) string {
	p.t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// Files (re)issues a certificate for id (valid for 127.0.0.1 and dns) as
// name.crt and name.key, and returns them with the CA bundle ca.crt.
func (p *PKI) Files(name string, id certs.Identity, dns ...string) certs.Files {
	p.t.Helper()
	l, err := p.CA.Issue(id, dns, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	return certs.Files{Cert: p.Write(name+".crt", l.CertPEM), Key: p.Write(name+".key", l.KeyPEM), CA: filepath.Join(p.Dir, "ca.crt")}
}
