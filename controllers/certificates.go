package controllers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Lifetimes of what the operator issues. A member certificate is issued
// again when a third of its lifetime is left; the members read the files
// again when the kubelet updates the Secret volume (within a minute or so).
const (
	caValidity       = 10 * 365 * 24 * time.Hour
	memberValidity   = 365 * 24 * time.Hour
	operatorValidity = 24 * time.Hour
)

// caSecretError is a CA Secret that exists but holds no usable CA (a user
// edited it). The operator does not make a new CA in its place: members
// whose certificates chain to the old one would stop trusting each other.
type caSecretError struct {
	name string
	err  error
}

func (e *caSecretError) Error() string {
	return fmt.Sprintf("Secret %s holds no usable CA (%v): restore its %s and %s, or delete the Secret to have a new CA made "+
		"(every member then gets a new certificate; members trust each other again once the kubelet has updated every pod's Secret volume)",
		e.name, e.err, podlayout.CACertKey, podlayout.CAKeyKey)
}

// getSecret reads a Secret from the cache, and from the API server when the
// cache does not have it (the cache holds only the operator's own Secrets; a
// CA Secret a user made beforehand is read directly).
func (p *pass) getSecret(ctx context.Context, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	key := types.NamespacedName{Namespace: p.zke.Namespace, Name: name}
	err := p.r.Get(ctx, key, s)
	if apierrors.IsNotFound(err) && p.r.APIReader != nil {
		err = p.r.APIReader.Get(ctx, key, s)
	}
	return s, err
}

// ensureCA returns the ensemble's CA, making it (and its Secret) when the
// Secret does not exist.
func (p *pass) ensureCA(ctx context.Context) (*certs.CA, error) {
	name := p.n.caSecret()
	s, err := p.getSecret(ctx, name)
	switch {
	case apierrors.IsNotFound(err):
		ca, err := certs.NewCA(fmt.Sprintf("zkensemble %s/%s", p.zke.Namespace, p.zke.Name), caValidity)
		if err != nil {
			return nil, err
		}
		s = &corev1.Secret{ObjectMeta: p.rd.meta(name), Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{podlayout.CACertKey: ca.CertPEM, podlayout.CAKeyKey: ca.KeyPEM}}
		if err := p.r.Create(ctx, s); err != nil {
			return nil, fmt.Errorf("create Secret %s: %w", name, err)
		}
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeNormal, "CACreated", "Certificates", "made the ensemble's CA in Secret %s", name)
		return ca, nil
	case err != nil:
		return nil, err
	}
	ca, err := certs.LoadCA(s.Data[podlayout.CACertKey], s.Data[podlayout.CAKeyKey])
	if err != nil {
		return nil, &caSecretError{name: name, err: err}
	}
	return ca, nil
}

// certificateIDs is every member id the StatefulSet may run now or after
// the next scale-up step: their certificates exist before their pods do.
func (p *pass) certificateIDs(ctx context.Context) (uint64, error) {
	n := p.zke.Spec.Replicas
	sts := &appsv1.StatefulSet{}
	err := p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: p.n.statefulSet()}, sts)
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	if err == nil {
		n = max(n, ptrOr(sts.Spec.Replicas, 0))
	}
	return uint64(max(n, 1)), nil
}

// ensureMemberCerts keeps Secret <name>-tls holding the CA bundle and a
// certificate and key for members 1..n and the observers (observerCertIDs). A certificate is issued only when it
// is missing, unreadable, not of this CA, names another identity or other
// host names, or has a third of its lifetime left; the Secret is written only
// when something changed.
func (p *pass) ensureMemberCerts(ctx context.Context, ca *certs.CA, n uint64) error {
	name := p.n.tlsSecret()
	cur, err := p.getSecret(ctx, name)
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	now := time.Now()
	data := map[string][]byte{podlayout.CAFile: ca.CertPEM}
	var issued []uint64
	ids := make([]uint64, 0, n)
	for id := uint64(1); id <= n; id++ {
		ids = append(ids, id)
	}
	for _, id := range append(ids, p.observerCertIDs()...) {
		crt, key := cur.Data[podlayout.MemberCertFile(id)], cur.Data[podlayout.MemberKeyFile(id)]
		if !p.memberCertGood(crt, key, id, roots, now) {
			leaf, err := ca.Issue(certs.Member(string(p.zke.UID), id), p.n.hosts(id), nil, p.r.memberCertValidity())
			if err != nil {
				return fmt.Errorf("issue member %d's certificate: %w", id, err)
			}
			crt, key = leaf.CertPEM, leaf.KeyPEM
			issued = append(issued, id)
		}
		data[podlayout.MemberCertFile(id)], data[podlayout.MemberKeyFile(id)] = crt, key
		p.noteRenewal(crt)
	}
	if exists && sameData(cur.Data, data) {
		return nil
	}
	want := &corev1.Secret{ObjectMeta: p.rd.meta(name), Type: corev1.SecretTypeOpaque, Data: data}
	if !exists {
		err = p.r.Create(ctx, want)
	} else {
		want.ResourceVersion = cur.ResourceVersion
		err = p.r.Update(ctx, want)
	}
	if err != nil {
		return fmt.Errorf("write Secret %s: %w", name, err)
	}
	if len(issued) > 0 {
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeNormal, "CertificatesIssued", "Certificates",
			"issued certificates for members %v in Secret %s", issued, name)
	}
	return nil
}

func (r *Reconciler) memberCertValidity() time.Duration {
	if r.MemberCertValidity <= 0 {
		return memberValidity
	}
	return r.MemberCertValidity
}

// renewalTime is when a certificate is issued again: a third of its
// lifetime before it expires.
func renewalTime(leaf *x509.Certificate) time.Time {
	return leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
}

// noteRenewal keeps the earliest renewal time of the pass's certificates,
// so that the next pass comes in time for it (short lifetimes in tests).
func (p *pass) noteRenewal(crtPEM []byte) {
	cs, err := certs.ParseCertificates(crtPEM)
	if err != nil || len(cs) == 0 {
		return
	}
	if t := renewalTime(cs[0]); p.renewAt.IsZero() || t.Before(p.renewAt) {
		p.renewAt = t
	}
}

// memberCertGood reports whether member id's certificate can stay.
func (p *pass) memberCertGood(crtPEM, keyPEM []byte, id uint64, roots *x509.CertPool, now time.Time) bool {
	pair, err := tls.X509KeyPair(crtPEM, keyPEM)
	if err != nil {
		return false
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return false
		}
	}
	hosts := p.n.hosts(id)
	opts := x509.VerifyOptions{Roots: roots, DNSName: hosts[0], CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return false
	}
	if got, ok, err := certs.IdentityOf(leaf); err != nil || !ok || got != certs.Member(string(p.zke.UID), id) {
		return false
	}
	if !slices.Equal(leaf.DNSNames, hosts) {
		return false
	}
	return now.Before(renewalTime(leaf))
}

func sameData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// ensureCertificates makes sure the CA and the members' certificates exist
// and are current, and returns the CA (the admin client issues the
// operator's certificate from it).
func (p *pass) ensureCertificates(ctx context.Context) (*certs.CA, error) {
	ca, err := p.ensureCA(ctx)
	if err != nil {
		return nil, err
	}
	n, err := p.certificateIDs(ctx)
	if err != nil {
		return nil, err
	}
	p.certIDs = n
	return ca, p.ensureMemberCerts(ctx, ca, n)
}

// isCASecretError reports whether err is a broken CA Secret, for the status.
func isCASecretError(err error) bool {
	var e *caSecretError
	return errors.As(err, &e)
}

// CacheOptions limits the manager's cache of Secrets to the operator's own
// (the CA and member certificates, labelled managed-by the operator): the
// cluster's other Secrets are never held in the operator's memory.
func CacheOptions() cache.Options {
	own := labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": "zkensemble-operator"})
	return cache.Options{ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: own}}}
}
