package certs

import (
	"crypto/x509"
	"testing"
	"time"
)

// The operator's client trusts only members of its ensemble under its CA at
// the host it dialed; an HTTPS listener takes any client certificate in the
// handshake and its Trust tells the operator's from a foreign one.
func TestOperatorClient(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	m1 := p.leaf("m1", p.ca, Member("ens", 1), "m1.example")
	otherEnsemble := p.leaf("x1", p.ca, Member("other", 1), "m1.example")
	operatorAsServer := p.leaf("op", p.ca, Operator("ens"), "m1.example")
	foreign := other.leaf("m1", other.ca, Member("ens", 1), "m1.example")
	op, err := NewOperatorClient(p.ca, "ens", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		server      Files
		serverName  string
		wantRefused bool
	}{
		{name: "member of the ensemble", server: m1, serverName: "m1.example"},
		{name: "by IP address", server: m1, serverName: "127.0.0.1"},
		{name: "another host name", server: m1, serverName: "m2.example", wantRefused: true},
		{name: "member of another ensemble", server: otherEnsemble, serverName: "m1.example", wantRefused: true},
		{name: "not a member", server: operatorAsServer, serverName: "m1.example", wantRefused: true},
		{name: "another CA", server: Files{Cert: foreign.Cert, Key: foreign.Key, CA: m1.CA}, serverName: "m1.example", wantRefused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, trust, err := tc.server.HTTPSConfig()
			if err != nil {
				t.Fatal(err)
			}
			cli := op.TLSConfig()
			cli.ServerName = tc.serverName
			peer, se, ce := handshake(t, srv, cli)
			if refused := se != nil || ce != nil; refused != tc.wantRefused {
				t.Fatalf("server %v, client %v; want refused=%v", se, ce, tc.wantRefused)
			}
			if tc.wantRefused {
				return
			}
			if err := trust.VerifyClient([]*x509.Certificate{peer}); err != nil {
				t.Fatalf("the operator's certificate is not trusted: %v", err)
			}
			if id, _, _ := IdentityOf(peer); id != Operator("ens") {
				t.Fatalf("server saw %+v", id)
			}
		})
	}
	t.Run("a foreign client certificate passes the handshake, not the trust", func(t *testing.T) {
		srv, trust, err := m1.HTTPSConfig()
		if err != nil {
			t.Fatal(err)
		}
		cli, err := foreign.ClientConfig("", nil)
		if err != nil {
			t.Fatal(err)
		}
		cli.VerifyConnection = nil // the attacker trusts anything
		peer, se, ce := handshake(t, srv, cli)
		if se != nil || ce != nil || peer == nil {
			t.Fatalf("handshake: %v %v %v", se, ce, peer)
		}
		if err := trust.VerifyClient([]*x509.Certificate{peer}); err == nil {
			t.Fatal("a certificate of another CA was trusted")
		}
	})
}

func TestOperatorCertificateRenewal(t *testing.T) {
	ca, err := NewCA("long", 24*time.Hour) // outlives the leaves, which Issue caps at the CA's end
	if err != nil {
		t.Fatal(err)
	}
	op, err := NewOperatorClient(ca, "ens", 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var offset time.Duration
	op.now = func() time.Time { return start.Add(offset) }
	first, err := op.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if id, ok, _ := IdentityOf(first.Leaf); !ok || id != Operator("ens") {
		t.Fatalf("identity %+v", id)
	}
	offset = time.Hour
	if again, _ := op.Certificate(); again != first {
		t.Fatal("renewed with two thirds of its lifetime left")
	}
	offset = 2*time.Hour + time.Minute
	renewed, err := op.Certificate()
	if err != nil || renewed == first {
		t.Fatalf("not renewed with less than a third left: %v", err)
	}
	if _, err := NewOperatorClient(ca, "", time.Hour); err == nil {
		t.Fatal("an operator certificate without an ensemble")
	}
}
