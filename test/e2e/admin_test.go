//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// memberURL is member pod's admin API by its stable DNS name.
func memberURL(ns, name, pod string) string {
	return fmt.Sprintf("https://%s.%s-peers.%s.svc.cluster.local:%d", pod, name, ns, podlayout.AdminPort)
}

// operatorCredentials are what the operator presents to the members of an
// ensemble: a client certificate issued from the ensemble's CA (the test
// reads the CA Secret, as the operator does).
func operatorCredentials(ctx context.Context, ns, name string) (adminapi.Credentials, error) {
	z := &zkv1.ZKEnsemble{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, z); err != nil {
		return adminapi.Credentials{}, err
	}
	sec := &corev1.Secret{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: podlayout.CASecret(name)}, sec); err != nil {
		return adminapi.Credentials{}, err
	}
	ca, err := certs.LoadCA(sec.Data[podlayout.CACertKey], sec.Data[podlayout.CAKeyKey])
	if err != nil {
		return adminapi.Credentials{}, err
	}
	op, err := certs.NewOperatorClient(ca, string(z.UID), time.Hour)
	if err != nil {
		return adminapi.Credentials{}, err
	}
	return adminapi.Credentials{TLS: op.TLSConfig()}, nil
}

// adminStatus is a member's admin status, for diagnostics.
func adminStatus(ctx context.Context, ns, name, pod string) string {
	creds, err := operatorCredentials(ctx, ns, name)
	if err != nil {
		return "(no operator credentials: " + err.Error() + ")"
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := adminapi.NewClient(memberURL(ns, name, pod), nil, creds).Status(cctx)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	b, _ := json.Marshal(st)
	return string(b)
}

// memberSrvr is a member's srvr from its admin port (/commands/srvr, public
// but over HTTPS: the ensemble's CA is trusted), for diagnostics.
func memberSrvr(ctx context.Context, ns, name, pod string) string {
	creds, err := operatorCredentials(ctx, ns, name)
	if err != nil {
		return "(no operator credentials: " + err.Error() + ")"
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, memberURL(ns, name, pod)+"/commands/srvr", nil)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: creds.TLS}}
	resp, err := hc.Do(req)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return fmt.Sprintf("%d %s", resp.StatusCode, body)
}

// adminRefusesStrangers: on the cluster, a member's admin API answers a
// caller without the operator's certificate with 401/403 for what changes
// the membership or shows sessions, while the operator's certificate works.
func adminRefusesStrangers(t *testing.T, ctx context.Context, ns, name string) {
	z := getZKE(t, ctx, ns, name)
	url := memberURL(ns, name, z.Status.Leader)
	creds, err := operatorCredentials(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	// A stranger: TLS that trusts the members' CA (so only the credential
	// differs), no client certificate.
	noCert := creds.TLS.Clone()
	noCert.GetClientCertificate = nil
	stranger := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: noCert}}
	for _, req := range []struct{ method, path, body string }{
		{"POST", adminapi.PathMembers, `{"id":9,"peerAddr":"evil:2888","clientAddr":"evil:2181"}`},
		{"DELETE", adminapi.PathMembers + "/2", ""},
		{"POST", adminapi.PathTransfer, `{"to":2}`},
		{"GET", "/v1/sessions", ""},
		{"GET", "/commands/cons", ""},
		{"GET", adminapi.PathStatus, ""},
	} {
		r, err := http.NewRequestWithContext(ctx, req.method, url+req.path, strings.NewReader(req.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := stranger.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", req.method, req.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s without the operator's certificate: %d %s", req.method, req.path, resp.StatusCode, body)
		}
	}
	st, err := adminapi.NewClient(url, nil, creds).Status(ctx)
	if err != nil {
		t.Fatalf("with the operator's certificate: %v", err)
	}
	if len(st.Members) != 3 {
		t.Fatalf("members after the strangers' requests: %+v", st.Members)
	}
	t.Logf("the leader's admin API refused 6 requests without the operator's certificate; with it, status shows %d members", len(st.Members))
}
