package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
)

// attacker is a client of the admin port without the operator's credentials.
type attacker struct {
	name   string
	client *adminapi.Client
	want   int
}

// certClient presents a certificate of ca naming id and trusts any server,
// as an attacker would.
func certClient(t *testing.T, url string, ca *certs.CA, id certs.Identity) *adminapi.Client {
	t.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the attacker's side
	if ca != nil {
		l, err := ca.Issue(id, nil, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return adminapi.NewClient(url, nil, adminapi.Credentials{TLS: cfg})
}

// membership is what an attack must not change: the leader and each
// member's role.
func membership(t *testing.T, c *adminapi.Client) string {
	t.Helper()
	var out string
	retry(t, "status", func() error {
		st, err := c.Status(context.Background())
		if err != nil {
			return err
		}
		if st.LeaderID == 0 {
			return fmt.Errorf("no leader known")
		}
		var ms []string
		for _, m := range st.Members {
			ms = append(ms, fmt.Sprintf("%d:%s", m.ID, m.Role))
		}
		slices.Sort(ms)
		out = fmt.Sprintf("leader %d, members %s", st.LeaderID, strings.Join(ms, " "))
		return nil
	})
	return out
}

// attack sends each write and private view as a, and fails the test when
// one is answered with anything but a.want.
func attack(t *testing.T, a attacker, follower uint64) {
	t.Helper()
	reqs := []struct{ method, path, body string }{
		{http.MethodPost, adminapi.PathMembers, `{"id":9,"peerAddr":"127.0.0.1:9","clientAddr":"127.0.0.1:9"}`},
		{http.MethodPost, fmt.Sprintf("%s/%d/promote", adminapi.PathMembers, 9), ""},
		{http.MethodDelete, fmt.Sprintf("%s/%d", adminapi.PathMembers, follower), ""},
		{http.MethodPost, adminapi.PathTransfer, fmt.Sprintf(`{"to":%d}`, follower)},
		{http.MethodGet, adminapi.PathStatus, ""},
		{http.MethodGet, "/v1/sessions", ""},
		{http.MethodGet, "/commands/cons", ""},
		{http.MethodGet, "/commands/dump", ""},
		{http.MethodGet, "/commands/stat", ""},
		{http.MethodGet, "/commands/wchc", ""},
	}
	for _, r := range reqs {
		var body io.Reader
		if r.body != "" {
			body = strings.NewReader(r.body)
		}
		resp, err := a.client.Do(context.Background(), r.method, r.path, body)
		if err != nil {
			t.Fatalf("%s: %s %s: %v", a.name, r.method, r.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != a.want {
			t.Errorf("%s: %s %s answered %s %s; want %d", a.name, r.method, r.path, resp.Status, b, a.want)
		}
	}
}

// TestAdminAPIRefusesStrangers: on an ensemble with member certificates,
// nobody but the operator changes the membership or reads sessions and
// client addresses: no certificate (401), a member's certificate, another
// CA's operator certificate, a token (403) — the leader and the members
// stay as they were. The operator's certificate does each step.
func TestAdminAPIRefusesStrangers(t *testing.T) {
	pki := refzk.NewPKI(t)
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500, PKI: pki})
	op := ens.Servers[0].AdminClient()
	before := membership(t, op)
	st, err := op.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leader := ens.Servers[st.LeaderID-1]
	follower := st.LeaderID%3 + 1
	other := refzk.NewPKI(t)
	url := leader.AdminURL()
	c := dial(t, leader.Addr, 10*time.Second) // a session whose id the private views would show
	for _, a := range []attacker{
		{"no certificate", certClient(t, url, nil, certs.Identity{}), http.StatusUnauthorized},
		{"a member's certificate", certClient(t, url, pki.CA, certs.Member(pki.EnsembleID, follower)), http.StatusForbidden},
		{"another CA's operator certificate", certClient(t, url, other.CA, certs.Operator(pki.EnsembleID)), http.StatusForbidden},
		{"another ensemble's operator", certClient(t, url, pki.CA, certs.Operator("another")), http.StatusForbidden},
		{"a bearer token", adminapi.NewClient(url, nil, adminapi.Credentials{
			TLS: &tls.Config{InsecureSkipVerify: true}, Token: "guessed-token-0123456789"}), http.StatusForbidden}, //nolint:gosec // the attacker's side
	} {
		attack(t, a, follower)
	}
	if after := membership(t, op); after != before {
		t.Fatalf("the attacks changed the ensemble: %s, then %s", before, after)
	}
	t.Logf("unchanged after the attacks: %s", before)

	// The operator's certificate: private views, then a transfer and a removal.
	for _, path := range []string{"/v1/sessions", "/commands/cons", "/commands/dump"} {
		resp, err := leader.AdminClient().Do(context.Background(), http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), fmt.Sprint(c.SessionID())) && !strings.Contains(string(b), fmt.Sprintf("0x%x", c.SessionID())) {
			t.Errorf("operator: %s: %s %s", path, resp.Status, b)
		}
	}
	retry(t, "transfer leadership", func() error {
		_, err := leader.AdminClient().TransferLeadership(context.Background(), follower)
		return err
	})
	retry(t, "the follower leads", func() error {
		st, err := op.Status(context.Background())
		if err != nil {
			return err
		}
		if st.LeaderID != follower {
			return fmt.Errorf("leader %d", st.LeaderID)
		}
		return nil
	})
	removed := st.LeaderID // the former leader, now a follower
	retry(t, "remove the former leader", func() error {
		_, err := ens.Servers[follower-1].AdminClient().RemoveMember(context.Background(), removed)
		return err
	})
	if st, err := ens.Servers[follower-1].AdminClient().Status(context.Background()); err != nil || len(st.Members) != 2 {
		t.Fatalf("after the operator's removal of %d: %+v %v", removed, st, err)
	}
}

// TestAdminAPIToken: a member without certificates takes the bearer token of
// admin.tokenFile, and nothing else.
func TestAdminAPIToken(t *testing.T) {
	srv := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{AdminToken: "the-right-token-0123456789"})
	if !strings.HasPrefix(srv.AdminURL(), "http://") {
		t.Fatalf("admin URL %s", srv.AdminURL())
	}
	op := srv.AdminClient()
	before := membership(t, op)
	for _, a := range []attacker{
		{"no token", adminapi.NewClient(srv.AdminURL(), nil, adminapi.Credentials{}), http.StatusUnauthorized},
		{"a wrong token", adminapi.NewClient(srv.AdminURL(), nil, adminapi.Credentials{Token: "the-wrong-token-0123456789"}), http.StatusForbidden},
	} {
		attack(t, a, 2)
	}
	if after := membership(t, op); after != before {
		t.Fatalf("the attacks changed the ensemble: %s, then %s", before, after)
	}
	if _, err := op.AddLearner(context.Background(), adminapi.AddLearnerRequest{ID: 2, PeerAddr: "127.0.0.1:9", ClientAddr: "127.0.0.1:9"}); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	if after := membership(t, op); after == before {
		t.Fatalf("the token's add did not change the members: %s", after)
	}
}
