package sessionserver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// testPKI is a CA with a server certificate for loopback and client
// certificates made on demand.
type testPKI struct {
	ca        *certs.CA
	dir       string
	keyStore  string
	trustPath string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca, err := certs.NewCA("client test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{ca: ca, dir: t.TempDir()}
	leaf, err := ca.Issue(certs.Identity{}, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.keyStore = p.write(t, "server.pem", append(leaf.KeyPEM, leaf.CertPEM...))
	p.trustPath = p.write(t, "ca.pem", ca.CertPEM)
	return p
}

func (p *testPKI) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// client is a TLS configuration trusting p, with a client certificate for
// subject when it is not empty.
func (p *testPKI) client(t *testing.T, subject *pkix.Name) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.Cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if subject != nil {
		leaf, err := p.ca.IssueClient(*subject, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

func (p *testPKI) secure(auth certs.ClientAuth) func(*Config) {
	return func(c *Config) {
		c.Client.SecureClientPort, c.Client.KeyStore, c.Client.TrustStore, c.Client.ClientAuth = 0, p.keyStore, p.trustPath, auth
		c.Client.X509Provider = true
	}
}

// dialTLS connects to the secure port; the handshake error, if any, is returned.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*rawConn, error) {
	t.Helper()
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	// TLS 1.3 reports a refused client certificate at the first read.
	r := &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
	return r, nil
}

func (r *rawConn) whoAmI() []wire.ClientInfo {
	r.t.Helper()
	r.send(&wire.RequestHeader{Xid: 90, Type: wire.OpWhoAmI})
	h, body := r.reply()
	var resp wire.WhoAmIResponse
	if h.Err != 0 || resp.Decode(wire.NewDecoder(body)) != nil {
		r.t.Fatalf("whoAmI: %+v", h)
	}
	return resp.ClientInfo
}

func ids(info []wire.ClientInfo) string {
	var s []string
	for _, i := range info {
		s = append(s, i.AuthScheme+":"+i.User)
	}
	return strings.Join(s, " ")
}

var alice = pkix.Name{CommonName: "alice", Organization: []string{"Example, Inc."}}

func TestSecureClientPort(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, p.secure(certs.ClientAuthNeed))
	r, err := dialTLS(t, s.SecureAddr(), p.client(t, &alice))
	if err != nil {
		t.Fatal(err)
	}
	r.newSession(4000)
	if got := ids(r.whoAmI()); got != `ip:127.0.0.1 x509:CN=alice,O=Example\, Inc.` {
		t.Fatalf("whoAmI = %s", got)
	}
	// Four-letter words work the same over TLS.
	four, err := dialTLS(t, s.SecureAddr(), p.client(t, &alice))
	if err != nil {
		t.Fatal(err)
	}
	four.sendBytes([]byte("conf"))
	four.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var out strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := four.br.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	_, port, _ := net.SplitHostPort(s.SecureAddr())
	if !strings.Contains(out.String(), "secureClientPort="+port+"\n") {
		t.Fatalf("conf over TLS:\n%s", out.String())
	}
}

// Attack: a client certificate of another CA, or none, is refused when
// ssl.clientAuth=need.
func TestSecureClientPortRefusesForeignCertificates(t *testing.T) {
	p, other := newTestPKI(t), newTestPKI(t)
	s := startServer(t, p.secure(certs.ClientAuthNeed))
	foreign := p.client(t, nil)
	foreign.Certificates = other.client(t, &alice).Certificates
	defer func() {
		// mntr counts refused handshakes, as ZooKeeper's auth_failed_count.
		poll(t, 5*time.Second, "auth_failed_count", func() bool { return s.stats.tlsAuthFailed.Load() == 2 })
	}()
	for name, cfg := range map[string]*tls.Config{"another CA": foreign, "no certificate": p.client(t, nil)} {
		t.Run(name, func(t *testing.T) {
			r, err := dialTLS(t, s.SecureAddr(), cfg)
			if err != nil {
				return // refused in the handshake (TLS 1.2)
			}
			// TLS 1.3: the server's refusal arrives at the first read.
			r.send(&wire.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)})
			if r.frame() != nil {
				t.Fatal("the server answered a client it must refuse")
			}
		})
	}
}

// Attack: the x509 id comes from the certificate only; addauth cannot claim
// it, and ACLs on it keep others out.
func TestX509ACLs(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, p.secure(certs.ClientAuthWant))
	a, err := dialTLS(t, s.SecureAddr(), p.client(t, &alice))
	if err != nil {
		t.Fatal(err)
	}
	a.newSession(4000)
	acl := []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "x509", ID: `CN=alice,O=Example\, Inc.`}}}
	a.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/a", Data: []byte("s"), ACL: acl})
	if h, _ := a.reply(); h.Err != 0 {
		t.Fatalf("create with an x509 ACL: %d", h.Err)
	}
	a.send(&wire.RequestHeader{Xid: 2, Type: wire.OpGetData}, &wire.PathWatchRequest{Path: "/a"})
	if h, _ := a.reply(); h.Err != 0 {
		t.Fatalf("the owner cannot read: %d", h.Err)
	}
	bob := pkix.Name{CommonName: "bob"}
	b, err := dialTLS(t, s.SecureAddr(), p.client(t, &bob))
	if err != nil {
		t.Fatal(err)
	}
	b.newSession(4000)
	b.send(&wire.RequestHeader{Xid: 1, Type: wire.OpGetData}, &wire.PathWatchRequest{Path: "/a"})
	if h, _ := b.reply(); h.Err != int32(wire.ErrNoAuth) {
		t.Fatalf("another certificate read the node: %d", h.Err)
	}
	// No certificate (want): connected, but addauth x509 claims nothing.
	for _, addr := range []string{s.SecureAddr(), s.Addr()} {
		var r *rawConn
		if addr == s.Addr() {
			r = dialRaw(t, addr)
		} else if r, err = dialTLS(t, addr, p.client(t, nil)); err != nil {
			t.Fatal(err)
		}
		r.newSession(4000)
		r.send(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}, &wire.AuthPacket{Scheme: "x509", Auth: []byte(`CN=alice,O=Example\, Inc.`)})
		if h, _ := r.reply(); h.Err != int32(wire.ErrAuthFailed) || !r.closed() {
			t.Fatalf("addauth x509 on %s: %d", addr, h.Err)
		}
	}
}

func saslServer(t *testing.T, users map[string]string, mutate func(*Config)) *Server {
	t.Helper()
	dir := t.TempDir()
	for u, pw := range users {
		if err := os.WriteFile(filepath.Join(dir, u), []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return startServer(t, func(c *Config) {
		c.Client.SASLUsersDir, c.Client.SASLProvider = dir, true
		if mutate != nil {
			mutate(c)
		}
	})
}

// saslLogin runs a DIGEST-MD5 exchange on r and returns the last reply's error.
func (r *rawConn) saslLogin(user, password string) wire.ErrCode {
	r.t.Helper()
	cli := sasl.NewClient(user, password)
	msg := cli.Start()
	for xid := int32(1); ; xid++ {
		r.send(&wire.RequestHeader{Xid: 100 + xid, Type: wire.OpSASL}, &wire.SASLRequest{Token: msg})
		h, body := r.reply()
		if h.Xid != 100+xid || h.Zxid != 0 {
			r.t.Fatalf("sasl reply header %+v", h)
		}
		var tok wire.SASLRequest
		if err := tok.Decode(wire.NewDecoder(body)); err != nil {
			r.t.Fatal(err)
		}
		if h.Err != 0 {
			if tok.Token != nil {
				r.t.Fatalf("a failed exchange carried a token")
			}
			return wire.ErrCode(h.Err)
		}
		next, done, err := cli.Next(tok.Token)
		if err != nil {
			r.t.Fatal(err)
		}
		if done {
			return 0
		}
		msg = next
	}
}

func TestSASLDigestMD5(t *testing.T) {
	s := saslServer(t, map[string]string{"alice": "alice-pw", "bob": "bob-pw"}, nil)
	a := dialRaw(t, s.Addr())
	a.newSession(4000)
	if code := a.saslLogin("alice", "alice-pw"); code != 0 {
		t.Fatalf("login: %d", code)
	}
	if got := ids(a.whoAmI()); got != "sasl:alice ip:127.0.0.1" {
		t.Fatalf("whoAmI = %s", got)
	}
	acl := []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "sasl", ID: "alice"}}}
	a.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/s", ACL: acl})
	if h, _ := a.reply(); h.Err != 0 {
		t.Fatalf("create with a sasl ACL: %d", h.Err)
	}
	b := dialRaw(t, s.Addr())
	b.newSession(4000)
	if code := b.saslLogin("bob", "bob-pw"); code != 0 {
		t.Fatalf("login: %d", code)
	}
	b.send(&wire.RequestHeader{Xid: 1, Type: wire.OpGetData}, &wire.PathWatchRequest{Path: "/s"})
	if h, _ := b.reply(); h.Err != int32(wire.ErrNoAuth) {
		t.Fatalf("bob read alice's node: %d", h.Err)
	}
}

// Attack: a wrong password fails as ZooKeeper answers it (AuthFailed, a
// null token, the connection closed), and addauth cannot claim a sasl id.
func TestSASLRefusals(t *testing.T) {
	s := saslServer(t, map[string]string{"alice": "alice-pw"}, nil)
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	if code := r.saslLogin("alice", "guess"); code != wire.ErrAuthFailed || !r.closed() {
		t.Fatalf("wrong password: %d", code)
	}
	r = dialRaw(t, s.Addr())
	r.newSession(4000)
	r.send(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}, &wire.AuthPacket{Scheme: "sasl", Auth: []byte("alice")})
	if h, _ := r.reply(); h.Err != int32(wire.ErrAuthFailed) || !r.closed() {
		t.Fatalf("addauth sasl: %d", h.Err)
	}
}

// Attack: with enforce.auth.schemes=sasl a client without credentials gets
// SessionClosedRequireSasl at its first request and is disconnected; a
// failed login gets the same code.
func TestEnforceAuth(t *testing.T) {
	s := saslServer(t, map[string]string{"alice": "alice-pw"}, func(c *Config) {
		c.Client.EnforceAuth, c.Client.EnforceSchemes = true, []string{"sasl"}
	})
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	r.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/x", ACL: datatree.OpenACLUnsafe})
	if h, body := r.reply(); h.Err != int32(wire.ErrSessionClosedRequireSASL) || h.Zxid != 0 || len(body) != 0 || !r.closed() {
		t.Fatalf("unauthenticated create: %+v %x", h, body)
	}
	r = dialRaw(t, s.Addr())
	r.newSession(4000)
	if code := r.saslLogin("alice", "guess"); code != wire.ErrSessionClosedRequireSASL {
		t.Fatalf("failed login with sasl required: %d", code)
	}
	r = dialRaw(t, s.Addr())
	r.newSession(4000)
	if code := r.saslLogin("alice", "alice-pw"); code != 0 {
		t.Fatalf("login: %d", code)
	}
	r.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/x", ACL: datatree.OpenACLUnsafe})
	if h, _ := r.reply(); h.Err != 0 {
		t.Fatalf("authenticated create: %d", h.Err)
	}
}

// Without SASL users, ZooKeeper answers a sasl request with a null token and
// keeps the connection.
func TestSASLWithoutUsers(t *testing.T) {
	s := startServer(t, nil)
	r := dialRaw(t, s.Addr())
	r.newSession(4000)
	r.send(&wire.RequestHeader{Xid: 7, Type: wire.OpSASL}, &wire.SASLRequest{Token: []byte{}})
	h, body := r.reply()
	if h.Xid != 7 || h.Err != 0 || string(body) != "\xff\xff\xff\xff" {
		t.Fatalf("%+v %x", h, body)
	}
	r.send(&wire.RequestHeader{Xid: 8, Type: wire.OpExists}, &wire.PathWatchRequest{Path: "/"})
	if h, _ := r.reply(); h.Xid != 8 || h.Err != 0 {
		t.Fatalf("the connection did not go on: %+v", h)
	}
}

// Certificates rotate without a restart: a new key pair in the keystore
// file is served to the next client, and a new CA in the trust store
// admits that CA's clients.
func TestSecureClientPortReloads(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, p.secure(certs.ClientAuthNeed))
	serial := func(cfg *tls.Config) string {
		t.Helper()
		r, err := dialTLS(t, s.SecureAddr(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.newSession(4000)
		return r.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial(p.client(t, &alice))
	leaf, err := p.ca.Issue(certs.Identity{}, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	replace := func(path string, b []byte) {
		if err := os.WriteFile(path+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	replace(p.keyStore, append(leaf.KeyPEM, leaf.CertPEM...))
	if after := serial(p.client(t, &alice)); after == before {
		t.Fatal("the old certificate is still served")
	}
	other := newTestPKI(t)
	foreign := p.client(t, nil)
	foreign.Certificates = other.client(t, &alice).Certificates
	replace(p.trustPath, append(append([]byte(nil), p.ca.CertPEM...), other.ca.CertPEM...))
	serial(foreign) // the new CA's client is admitted
}
