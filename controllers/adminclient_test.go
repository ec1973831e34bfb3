package controllers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// TestAdminClients: concurrent reconciles (MaxConcurrentReconciles > 1)
// share one client per ensemble and CA (run with -race), a new CA or a
// recreated ensemble gets a new client, a forgotten ensemble's client is
// dropped, and every client dials through the dialer given at construction.
func TestAdminClients(t *testing.T) {
	errDial := errors.New("dialed through the reconciler's dialer")
	a := newAdminClients(func(context.Context, string, string) (net.Conn, error) { return nil, errDial })
	newCA := func() *certs.CA {
		ca, err := certs.NewCA("test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return ca
	}
	ca1, ca2 := newCA(), newCA()
	key := types.NamespacedName{Namespace: "ns", Name: "zk"}
	get := func(uid types.UID, ca *certs.CA) *http.Client {
		hc, err := a.get(key, uid, ca)
		if err != nil {
			t.Fatal(err)
		}
		return hc
	}

	const workers = 8
	got := make([]*http.Client, workers)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			hc, err := a.get(key, "uid-1", ca1)
			if err != nil {
				t.Error(err)
			}
			got[i] = hc
		})
	}
	wg.Wait()
	first := got[0]
	for i, hc := range got {
		if hc != first {
			t.Fatalf("worker %d got a client of its own: one client per ensemble and CA", i)
		}
	}

	for _, tc := range []struct {
		name string
		uid  types.UID
		ca   *certs.CA
		same bool
	}{
		{"same ensemble, same CA", "uid-1", ca1, true},
		{"a new CA", "uid-1", ca2, false},
		{"the ensemble recreated", "uid-2", ca2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := get("uid-1", ca1)
			if hc := get(tc.uid, tc.ca); (hc == before) != tc.same {
				t.Errorf("same client = %v, want %v", hc == before, tc.same)
			}
		})
	}

	old := get("uid-1", ca1)
	a.forget(key)
	hc := get("uid-1", ca1)
	if hc == old {
		t.Error("a forgotten ensemble's client was reused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://zk-0.zk-peers.ns.svc.cluster.local:8443/v1/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := hc.Do(req); !errors.Is(err, errDial) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("request error %v: not through the dialer given to newAdminClients", err)
	}
}
