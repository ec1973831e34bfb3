package main

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestEnsembleClientSecurity: in a 3-member ensemble with client TLS and
// SASL required, the ids a client authenticated with on one member are
// what the others check: alice's node, written through member 1, is hers on
// member 2 and refused to bob on member 3 and to an x509-only client.
func TestEnsembleClientSecurity(t *testing.T) {
	pki := refzk.NewPKI(t)
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500, PKI: pki, Client: &refzk.ClientSecurity{
		TLS: pki, ClientAuth: "want", SASLUsers: map[string]string{"alice": "alice-pw", "bob": "bob-pw"},
		SASLProvider: true, X509Provider: true, EnforceSchemes: "sasl,x509",
	}})
	cert := pki.Client(t, &pkix.Name{CommonName: "app"})
	connect := func(member int, opts ...zkclient.Option) *zkclient.Conn {
		t.Helper()
		c, err := zkclient.Connect(ens.Servers[member].SecureAddr, 10*time.Second, append(opts, zkclient.WithLogger(quiet), zkclient.WithTLS(cert.TLS))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alice1 := connect(0, zkclient.WithSASL("alice", "alice-pw"))
	acl := []zkclient.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "sasl", ID: "alice"}}}
	retry(t, "create", func() error {
		_, _, err := alice1.Create(ctx, "/alice", []byte("hers"), 0, acl)
		if errors.Is(err, wire.ErrNodeExists) {
			return nil
		}
		return err
	})
	alice2 := connect(1, zkclient.WithSASL("alice", "alice-pw"))
	if err := alice2.Sync(ctx, "/alice"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := alice2.Get(ctx, "/alice"); err != nil || string(data) != "hers" {
		t.Fatalf("alice on member 2: %q %v", data, err)
	}
	bob3 := connect(2, zkclient.WithSASL("bob", "bob-pw"))
	if err := bob3.Sync(ctx, "/alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob3.Get(ctx, "/alice"); !errors.Is(err, wire.ErrNoAuth) {
		t.Fatalf("bob on member 3: %v", err)
	}
	x509Only := connect(2)
	if _, _, err := x509Only.Get(ctx, "/alice"); !errors.Is(err, wire.ErrNoAuth) {
		t.Fatalf("an x509-only client: %v", err)
	}
}
