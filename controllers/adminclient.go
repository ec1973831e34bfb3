package controllers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// adminClients are the HTTP clients of the ensembles' admin ports, one per
// ensemble: HTTPS trusting only that ensemble's CA and members, presenting
// an operator certificate issued from the CA (in memory, renewed before it
// expires). The set and the transport they are cloned from are made once,
// with the Reconciler (SetupWithManager); each ensemble's client is made when
// its CA is first seen or changes. Safe for concurrent reconciles.
type adminClients struct {
	base *http.Transport // dialing and pooling; each client adds its TLS

	mu sync.Mutex
	m  map[types.NamespacedName]*ensembleAdmin
}

type ensembleAdmin struct {
	uid           types.UID
	caCert, caKey []byte
	hc            *http.Client
}

// newAdminClients makes the set; dial nil dials the pod DNS names directly.
func newAdminClients(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *adminClients {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if dial != nil {
		tr.DialContext = dial
	}
	tr.MaxIdleConnsPerHost = 2
	return &adminClients{base: tr, m: map[types.NamespacedName]*ensembleAdmin{}}
}

// get returns the ensemble's admin HTTP client, made again when its CA
// changed.
func (a *adminClients) get(key types.NamespacedName, uid types.UID, ca *certs.CA) (*http.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.m[key]; e != nil && e.uid == uid && bytes.Equal(e.caCert, ca.CertPEM) && bytes.Equal(e.caKey, ca.KeyPEM) {
		return e.hc, nil
	}
	op, err := certs.NewOperatorClient(ca, string(uid), operatorValidity)
	if err != nil {
		return nil, err
	}
	tr := a.base.Clone()
	tr.TLSClientConfig = op.TLSConfig()
	if old := a.m[key]; old != nil {
		old.hc.CloseIdleConnections()
	}
	e := &ensembleAdmin{uid: uid, caCert: ca.CertPEM, caKey: ca.KeyPEM, hc: &http.Client{Transport: tr, Timeout: 45 * time.Second}}
	a.m[key] = e
	return e.hc, nil
}

// forget drops the client of an ensemble that is gone.
func (a *adminClients) forget(key types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.m[key]; e != nil {
		e.hc.CloseIdleConnections()
		delete(a.m, key)
	}
}

// ensemble reaches the members' admin APIs by their pod DNS names.
func (p *pass) ensemble() (membership.Ensemble, error) {
	hc, err := p.r.admin.get(client.ObjectKeyFromObject(p.zke), p.zke.UID, p.ca)
	if err != nil {
		return membership.Ensemble{}, err
	}
	n, clientPort := p.n, p.rd.publishedClientPort()
	return membership.Ensemble{
		Client: func(id uint64) *adminapi.Client {
			return adminapi.NewClient(fmt.Sprintf("https://%s:%d", n.host(id), podlayout.AdminPort), hc, adminapi.Credentials{})
		},
		Addresses: func(id uint64) (string, string) {
			return fmt.Sprintf("%s:%d", n.host(id), podlayout.QuorumPort), fmt.Sprintf("%s:%d", n.host(id), clientPort)
		},
		ElectionPort: podlayout.ElectionPort,
	}, nil
}
