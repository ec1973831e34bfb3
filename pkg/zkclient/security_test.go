package zkclient

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestTLSAndSASL runs our client over TLS with a client certificate and
// SASL DIGEST-MD5 against our server and ZooKeeper 3.8 configured alike
// (sasl required), and checks both name the client the same way.
func TestTLSAndSASL(t *testing.T) {
	if testing.Short() {
		t.Skip("drives server processes, which the race detector does not instrument: run in the main pass")
	}
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	pki := refzk.NewPKI(t)
	opts := refzk.Options{Client: &refzk.ClientSecurity{
		TLS: pki, ClientAuth: "want", SASLUsers: map[string]string{"alice": "alice-pw"},
		SASLProvider: true, X509Provider: true, EnforceSchemes: "sasl",
	}}
	servers := map[string]*refzk.Server{
		"zookeeper":  refzk.StartStandalone(t, opts),
		"zkensemble": refzk.StartOurs(t, refzk.BuildOurs(t), opts),
	}
	subject := pkix.Name{CommonName: "app", OrganizationalUnit: []string{"tests"}}
	cert := pki.Client(t, &subject)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := map[string][]wire.ClientInfo{}
	for name, srv := range servers {
		t.Run(name, func(t *testing.T) {
			c, err := Connect(srv.SecureAddr, 10*time.Second, WithLogger(quiet), WithTLS(cert.TLS), WithSASL("alice", "alice-pw"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			waitState(t, c, StateConnected)
			acl := []ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "sasl", ID: "alice"}}}
			if _, _, err := c.Create(ctx, "/tls-sasl", []byte("x"), 0, acl); err != nil {
				t.Fatal(err)
			}
			if got[name], err = c.WhoAmI(ctx); err != nil {
				t.Fatal(err)
			}
			// A wrong password ends the session as AuthFailed.
			bad, err := Connect(srv.SecureAddr, 10*time.Second, WithLogger(quiet), WithTLS(cert.TLS), WithSASL("alice", "guess"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bad.Close() })
			waitState(t, bad, StateAuthFailed)
			// Without credentials, requests are refused (sasl is required).
			anon, err := Connect(srv.Addr, 10*time.Second, WithLogger(quiet), WithBackoff(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { anon.Close() })
			waitState(t, anon, StateConnected)
			if _, _, err := anon.Get(ctx, "/tls-sasl"); !errors.Is(err, wire.ErrSessionClosedRequireSASL) {
				t.Fatalf("unauthenticated read: %v", err)
			}
		})
	}
	if a, b := ids(got["zookeeper"]), ids(got["zkensemble"]); a != b || a == "" {
		t.Fatalf("whoAmI differs: zookeeper %q, ours %q", a, b)
	}
}

func ids(info []wire.ClientInfo) string {
	s := ""
	for _, i := range info {
		s += i.AuthScheme + ":" + i.User + " "
	}
	return s
}
