package controllers

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// ensembleAdmin is the HTTP client of one ensemble's admin ports: HTTPS
// trusting only that ensemble's CA and members, presenting an operator
// certificate issued from the CA (in memory, renewed before it expires).
type ensembleAdmin struct {
	uid           types.UID
	caCert, caKey []byte
	hc            *http.Client
}

// adminHTTP returns the ensemble's admin HTTP client, made again when its CA
// changed.
func (r *Reconciler) adminHTTP(key types.NamespacedName, uid types.UID, ca *certs.CA) (*http.Client, error) {
	r.adminMu.Lock()
	defer r.adminMu.Unlock()
	if e := r.admins[key]; e != nil && e.uid == uid && bytes.Equal(e.caCert, ca.CertPEM) && bytes.Equal(e.caKey, ca.KeyPEM) {
		return e.hc, nil
	}
	op, err := certs.NewOperatorClient(ca, string(uid), operatorValidity)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if r.DialContext != nil {
		tr.DialContext = r.DialContext
	}
	tr.MaxIdleConnsPerHost = 2
	tr.TLSClientConfig = op.TLSConfig()
	if r.admins == nil {
		r.admins = map[types.NamespacedName]*ensembleAdmin{}
	}
	if old := r.admins[key]; old != nil {
		old.hc.CloseIdleConnections()
	}
	e := &ensembleAdmin{uid: uid, caCert: ca.CertPEM, caKey: ca.KeyPEM, hc: &http.Client{Transport: tr, Timeout: 45 * time.Second}}
	r.admins[key] = e
	return e.hc, nil
}

// forgetAdmin drops the client of an ensemble that is gone.
func (r *Reconciler) forgetAdmin(key types.NamespacedName) {
	r.adminMu.Lock()
	defer r.adminMu.Unlock()
	if e := r.admins[key]; e != nil {
		e.hc.CloseIdleConnections()
		delete(r.admins, key)
	}
}

// ensemble reaches the members' admin APIs by their pod DNS names.
func (p *pass) ensemble() (membership.Ensemble, error) {
	hc, err := p.r.adminHTTP(client.ObjectKeyFromObject(p.zke), p.zke.UID, p.ca)
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
