package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/backup"
	"github.com/zkensemble/zkensemble/pkg/certs"
)

// TestBackupEndpointAccess: GET /v1/backup takes the operator's certificate,
// the admin token, and the ensemble's backup identity; the backup identity
// is refused (403) on every other protected endpoint; no certificate gets
// 401; a member's own certificate, another ensemble's backup identity and
// another CA's backup certificate get 403.
func TestBackupEndpointAccess(t *testing.T) {
	pki := refzk.NewPKI(t)
	srv := refzk.StartOurs(t, refzk.BuildOurs(t), refzk.Options{TickTime: 500, PKI: pki})
	url := srv.AdminURL()
	backupID := certClient(t, url, pki.CA, certs.Backup(pki.EnsembleID))
	attack(t, attacker{"the backup identity", backupID, http.StatusForbidden}, 1)
	other := refzk.NewPKI(t)
	for _, a := range []attacker{
		{"no certificate", certClient(t, url, nil, certs.Identity{}), http.StatusUnauthorized},
		{"the member's own certificate", certClient(t, url, pki.CA, certs.Member(pki.EnsembleID, 1)), http.StatusForbidden},
		{"another ensemble's backup identity", certClient(t, url, pki.CA, certs.Backup("another")), http.StatusForbidden},
		{"another CA's backup certificate", certClient(t, url, other.CA, certs.Backup(pki.EnsembleID)), http.StatusForbidden},
		{"a guessed token", adminapi.NewClient(url, nil, adminapi.Credentials{
			TLS: &tls.Config{InsecureSkipVerify: true}, Token: "guessed-token-0123456789"}), http.StatusForbidden}, //nolint:gosec // the attacker's side
		{"the backup identity", backupID, http.StatusOK},
		{"the operator", srv.AdminClient(), http.StatusOK},
	} {
		resp, err := a.client.Do(context.Background(), http.MethodGet, backup.Path, nil)
		if err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != a.want {
			t.Errorf("%s: GET %s answered %s %.200s; want %d", a.name, backup.Path, resp.Status, b, a.want)
			continue
		}
		if a.want != http.StatusOK {
			continue
		}
		m, err := backup.Verify(bytes.NewReader(b), io.Discard)
		if err != nil || m.EnsembleID != pki.EnsembleID || m.Zxid.String() != resp.Header.Get(backup.HeaderZxid) {
			t.Errorf("%s: the archive: %+v %v (headers %v)", a.name, m, err, resp.Header)
		}
	}
	// The backup identity may only read: other methods on the endpoint are refused.
	resp, err := backupID.Do(context.Background(), http.MethodPost, backup.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s as the backup identity: %s", backup.Path, resp.Status)
	}
}
