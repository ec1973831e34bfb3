package refzk

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// ZooKeeper's authentication provider classes, as zoo.cfg names them.
const (
	SASLProvider = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
	X509Provider = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"
)

// ClientSecurity configures both kinds of server alike with ZooKeeper's
// keys: a secure client port beside the plain one, SASL DIGEST-MD5 users,
// the x509 and sasl providers, required schemes.
type ClientSecurity struct {
	// TLS serves secureClientPort with a certificate of TLS.CA for
	// localhost and 127.0.0.1 (ZooKeeper with its Netty connection factory).
	TLS        *PKI
	ClientAuth string // ssl.clientAuth: none, want, need ("" leaves ZooKeeper's default, need)
	// SASLUsers are DIGEST-MD5 users: a JAAS Server section (ZooKeeper:
	// java.security.auth.login.config; ours: jaasLoginConfig).
	SASLUsers      map[string]string
	SASLProvider   bool
	X509Provider   bool
	X509SuperUser  string
	EnforceSchemes string // enforce.auth.schemes; sets enforce.auth.enabled
	Extra          map[string]string
}

// apply adds the keys to cfg (both kinds) and returns the JAAS file, if any.
func (cs *ClientSecurity) apply(t T, dir string, cfg map[string]string, s *Server) string {
	t.Helper()
	if cs == nil {
		return ""
	}
	if cs.TLS != nil {
		keystore, trust := cs.TLS.ServerFiles(t)
		port := FreePort(t)
		cfg["secureClientPort"] = strconv.Itoa(port)
		cfg["secureClientPortAddress"] = "127.0.0.1"
		cfg["serverCnxnFactory"] = "org.apache.zookeeper.server.NettyServerCnxnFactory"
		cfg["ssl.keyStore.location"], cfg["ssl.keyStore.type"] = keystore, "PEM"
		cfg["ssl.trustStore.location"], cfg["ssl.trustStore.type"] = trust, "PEM"
		if cs.ClientAuth != "" {
			cfg["ssl.clientAuth"] = cs.ClientAuth
		}
		s.SecureAddr, s.SecurePort = fmt.Sprintf("127.0.0.1:%d", port), port
	}
	if cs.SASLProvider {
		cfg["authProvider.1"] = SASLProvider
	}
	if cs.X509Provider {
		cfg["authProvider.2"] = X509Provider
	}
	if cs.X509SuperUser != "" {
		cfg["X509AuthenticationProvider.superUser"] = cs.X509SuperUser
	}
	if cs.EnforceSchemes != "" {
		cfg["enforce.auth.enabled"], cfg["enforce.auth.schemes"] = "true", cs.EnforceSchemes
	}
	for k, v := range cs.Extra {
		cfg[k] = v
	}
	if len(cs.SASLUsers) == 0 {
		return ""
	}
	path := filepath.Join(dir, "jaas.conf")
	if err := os.WriteFile(path, []byte(JAASServer(cs.SASLUsers)), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	return path
}

// JAASServer is a JAAS file with ZooKeeper's Server section for users.
func JAASServer(users map[string]string) string {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required")
	for _, u := range names {
		fmt.Fprintf(&b, "\n  user_%s=%q", u, users[u])
	}
	b.WriteString(";\n};\n")
	return b.String()
}

// JAASClient is a JAAS file with the Java client's Client section.
func JAASClient(user, password string) string {
	return fmt.Sprintf("Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=%q\n  password=%q;\n};\n", user, password)
}

// ServerFiles writes a server certificate of p's CA for localhost and
// 127.0.0.1 with its key (ZooKeeper's PEM keystore) and the CA bundle.
func (p *PKI) ServerFiles(t T) (keystore, trust string) {
	t.Helper()
	leaf, err := p.CA.Issue(certs.Identity{}, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	keystore = filepath.Join(p.dir, fmt.Sprintf("server-%d.pem", time.Now().UnixNano()))
	if err := os.WriteFile(keystore, append(leaf.KeyPEM, leaf.CertPEM...), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	return keystore, filepath.Join(p.dir, "ca.crt")
}

// ClientCert is a client certificate of p's CA: the PEM keystore (key and
// certificate in one file, as ZooKeeper's Java client takes it), the
// certificate and key apart (kazoo, the C client) and the CA bundle.
type ClientCert struct {
	KeyStore, Cert, Key, CA string
	TLS                     *tls.Config
}

// Client issues a client certificate for subject (nil: no certificate,
// only the trust bundle).
func (p *PKI) Client(t T, subject *pkix.Name) ClientCert {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	out := ClientCert{CA: filepath.Join(p.dir, "ca.crt"), TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	if subject == nil {
		return out
	}
	leaf, err := p.CA.IssueClient(*subject, 24*time.Hour)
	if err != nil {
		t.Fatalf("%v", err)
	}
	base := filepath.Join(p.dir, fmt.Sprintf("client-%d", time.Now().UnixNano()))
	out.KeyStore, out.Cert, out.Key = base+".pem", base+".crt", base+".key"
	for path, b := range map[string][]byte{out.KeyStore: append(append([]byte(nil), leaf.KeyPEM...), leaf.CertPEM...), out.Cert: leaf.CertPEM, out.Key: leaf.KeyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatalf("%v", err)
		}
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatalf("%v", err)
	}
	out.TLS.Certificates = []tls.Certificate{pair}
	return out
}
