package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIdentityRoundTrip(t *testing.T) {
	tests := []struct {
		uri  string
		want Identity
		bad  bool
	}{
		{uri: "zkensemble://uid-1/member/3", want: Member("uid-1", 3)},
		{uri: "zkensemble://uid-1/operator", want: Operator("uid-1")},
		{uri: "zkensemble://uid-1/member/0", bad: true},
		{uri: "zkensemble://uid-1/member/256", bad: true},
		{uri: "zkensemble://uid-1/admin", bad: true},
		{uri: "zkensemble:///member/1", bad: true},
		{uri: "spiffe://uid-1/member/1", bad: true},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.uri)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseIdentity(u)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: parsed as %+v, want an error", tc.uri, got)
			}
			continue
		}
		if err != nil || got != tc.want || got.URI().String() != tc.uri {
			t.Errorf("%s: %+v %v (URI %s)", tc.uri, got, err, got.URI())
		}
	}
}

// pki writes a CA and leaves into a directory.
type pki struct {
	t   *testing.T
	dir string
	ca  *CA
}

func newPKI(t *testing.T) *pki {
	ca, err := NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{t: t, dir: t.TempDir(), ca: ca}
	p.write("ca.crt", ca.CertPEM)
	return p
}

func (p *pki) write(name string, b []byte) string {
	path := filepath.Join(p.dir, name)
	// Replace atomically, as a Secret volume does.
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func (p *pki) leaf(name string, ca *CA, id Identity, dns ...string) Files {
	l, err := ca.Issue(id, dns, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	return Files{Cert: p.write(name+".crt", l.CertPEM), Key: p.write(name+".key", l.KeyPEM), CA: filepath.Join(p.dir, "ca.crt")}
}

// handshake runs one TLS handshake between the two configurations and
// returns the server's and the client's errors.
func handshake(t *testing.T, server, client *tls.Config) (peer *x509.Certificate, srvErr, cliErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			srvErr = err
			return
		}
		defer c.Close()
		tc := tls.Server(c, server)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if srvErr = tc.Handshake(); srvErr == nil {
			peer = Peer(tc.ConnectionState())
			_, _ = tc.Write([]byte{1})
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, client)
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	cliErr = tc.Handshake()
	if cliErr == nil {
		// TLS 1.3: the server's verdict on our certificate comes with its first record.
		var b [1]byte
		_, cliErr = tc.Read(b[:])
	}
	tc.Close()
	<-done
	return peer, srvErr, cliErr
}

func memberCheck(ens string, id uint64) CheckIdentity {
	return func(c *x509.Certificate) error {
		got, ok, err := IdentityOf(c)
		if err != nil || !ok || got != Member(ens, id) {
			return fmt.Errorf("not member %d of %s (%+v %w)", id, ens, got, err)
		}
		return nil
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	m1 := p.leaf("m1", p.ca, Member("ens", 1), "m1.example")
	m2 := p.leaf("m2", p.ca, Member("ens", 2), "m2.example")
	foreign := other.leaf("m2", other.ca, Member("ens", 2), "m2.example")
	wrongEnsemble := p.leaf("x2", p.ca, Member("other", 2), "m2.example")
	tests := []struct {
		name        string
		client      Files
		serverName  string
		wantRefused bool
	}{
		{name: "same CA, right id", client: m2},
		{name: "hostname verified", client: m2, serverName: "m1.example"},
		{name: "hostname mismatch", client: m2, serverName: "m3.example", wantRefused: true},
		{name: "another CA", client: foreign, wantRefused: true},
		{name: "another ensemble", client: wrongEnsemble, wantRefused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := m1.ServerConfig(true, memberCheck("ens", 2))
			if err != nil {
				t.Fatal(err)
			}
			cli, err := tc.client.ClientConfig(tc.serverName, memberCheck("ens", 1))
			if err != nil {
				t.Fatal(err)
			}
			peer, se, ce := handshake(t, srv, cli)
			if refused := se != nil || ce != nil; refused != tc.wantRefused {
				t.Fatalf("server %v, client %v; want refused=%v", se, ce, tc.wantRefused)
			}
			if !tc.wantRefused {
				if id, _, _ := IdentityOf(peer); id != Member("ens", 2) {
					t.Fatalf("server saw %+v", id)
				}
			}
		})
	}
	t.Run("no client certificate", func(t *testing.T) {
		srv, _ := m1.ServerConfig(true, nil)
		cli := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the attacker's side
		if _, se, ce := handshake(t, srv, cli); se == nil && ce == nil {
			t.Fatal("a client without a certificate was accepted")
		}
		opt, _ := m1.ServerConfig(false, nil)
		if peer, se, ce := handshake(t, opt, cli); se != nil || ce != nil || peer != nil {
			t.Fatalf("optional client certificate: %v %v %v", se, ce, peer)
		}
	})
}

// Files replaced on disk are used by the next handshake: a new leaf, then a
// new CA trusted through a bundle holding both.
func TestRotation(t *testing.T) {
	p := newPKI(t)
	m1 := p.leaf("m1", p.ca, Member("ens", 1))
	m2 := p.leaf("m2", p.ca, Member("ens", 2))
	srv, err := m1.ServerConfig(true, memberCheck("ens", 2))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := m2.ClientConfig("", memberCheck("ens", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, se, ce := handshake(t, srv, cli); se != nil || ce != nil {
		t.Fatal(se, ce)
	}
	// A new CA: the bundle trusts both while the leaves are replaced.
	next, err := NewCA("next", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.write("ca.crt", append(append([]byte{}, p.ca.CertPEM...), next.CertPEM...))
	p.leaf("m2", next, Member("ens", 2))
	if _, se, ce := handshake(t, srv, cli); se != nil || ce != nil {
		t.Fatalf("after m2 moved to the new CA: %v %v", se, ce)
	}
	// The old CA leaves the bundle: m1's old leaf is no longer trusted ...
	p.write("ca.crt", next.CertPEM)
	if _, se, ce := handshake(t, srv, cli); ce == nil && se == nil {
		t.Fatal("a leaf of a CA no longer in the bundle was trusted")
	}
	// ... until it is replaced too.
	p.leaf("m1", next, Member("ens", 1))
	if _, se, ce := handshake(t, srv, cli); se != nil || ce != nil {
		t.Fatalf("after both moved: %v %v", se, ce)
	}
}

func TestLoadCAAndCheck(t *testing.T) {
	ca, err := NewCA("x", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadCA(ca.CertPEM, ca.KeyPEM)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("LoadCA: %v", err)
	}
	leaf, err := again.Issue(Operator("e"), nil, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(leaf.CertPEM, leaf.KeyPEM); err == nil {
		t.Fatal("a leaf was loaded as a CA")
	}
	dir := t.TempDir()
	combined := filepath.Join(dir, "keystore.pem") // ZooKeeper's PEM keystore: key and certificate in one file
	if err := os.WriteFile(combined, append(append([]byte{}, leaf.KeyPEM...), leaf.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (Files{Cert: combined, Key: combined, CA: caFile}).Check(); err != nil {
		t.Fatalf("a combined PEM keystore: %v", err)
	}
	err = (Files{Cert: combined, Key: combined, CA: filepath.Join(dir, "missing")}).Check()
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "trust bundle") {
		t.Fatalf("missing bundle: %v", err)
	}
}
