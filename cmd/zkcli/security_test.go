package main

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// TestTLSAndSASLFlags: zkcli with a CA, a client certificate and a SASL
// user against a server that requires sasl; without them it is refused.
func TestTLSAndSASLFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca, err := certs.NewCA("zkcli test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srvLeaf, err := ca.Issue(certs.Identity{}, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cliLeaf, err := ca.IssueClient(pkix.Name{CommonName: "app"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users")
	if err := os.Mkdir(users, 0o700); err != nil {
		t.Fatal(err)
	}
	write("users/alice", []byte("alice-pw"))
	cfg := sessionserver.DefaultConfig()
	cfg.ClientPort, cfg.ClientPortAddress, cfg.AdminPort = 0, "127.0.0.1", -1
	cs := &cfg.Client
	cs.SecureClientPort, cs.KeyStore, cs.TrustStore = 0, write("server.pem", append(srvLeaf.KeyPEM, srvLeaf.CertPEM...)), write("ca.pem", ca.CertPEM)
	cs.X509Provider, cs.SASLProvider, cs.SASLUsersDir = true, true, users
	cs.EnforceAuth, cs.EnforceSchemes = true, []string{"sasl"}
	s, err := sessionserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	secure := []string{"-server", s.SecureAddr(), "-timeout", "5s", "-tls-ca", cs.TrustStore,
		"-tls-cert", write("client.pem", append(cliLeaf.KeyPEM, cliLeaf.CertPEM...)),
		"-sasl-user", "alice", "-sasl-password-file", write("pw", []byte("alice-pw\n"))}
	var stdout, stderr bytes.Buffer
	if code := run(append(secure, "whoami"), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "sasl:alice\n") || !strings.Contains(stdout.String(), "x509:CN=app\n") {
		t.Fatalf("whoami: exit %d %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(append(secure, "create", "/x", "1"), &stdout, &stderr); code != 0 {
		t.Fatalf("create: exit %d %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-server", s.Addr(), "-timeout", "5s", "get", "/x"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "authenticate") {
		t.Fatalf("get without credentials: exit %d %q", code, stderr.String())
	}
}
