package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;update;patch;delete

// certManagerMissingError: spec.tls.issuerRef is set but the cluster has no
// cert-manager (its Certificate kind is not served).
type certManagerMissingError struct{ err error }

func (e *certManagerMissingError) Error() string {
	return fmt.Sprintf("spec.tls.issuerRef needs cert-manager, whose CRD certificates.cert-manager.io is not installed (%v): install cert-manager, or remove spec.tls.issuerRef to have the operator's CA issue the certificate", e.err)
}

// clientCertificate is the cert-manager Certificate of the secure client
// port: the client Service's names and every member's, a CombinedPEM file
// (what ssl.keyStore.location reads) beside tls.crt, tls.key and ca.crt.
// cert-manager renews it before expiry; the members read the files again
// when the kubelet updates the volume.
func (r render) clientCertificate() *unstructured.Unstructured {
	ref := r.zke.Spec.TLS.IssuerRef
	kind, group := ref.Kind, ref.Group
	if kind == "" {
		kind = "Issuer"
	}
	if group == "" {
		group = "cert-manager.io"
	}
	peers := fmt.Sprintf("*.%s.%s", r.n.peers(), r.zke.Namespace)
	dns := append(r.n.clientHosts(), peers+".svc."+r.n.domain, peers+".svc")
	names := make([]any, len(dns))
	for i, d := range dns {
		names[i] = d
	}
	m := r.meta(podlayout.ClientTLSSecret(r.zke.Name))
	obj := map[string]any{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "Certificate",
		"spec": map[string]any{
			"secretName":              podlayout.ClientTLSSecret(r.zke.Name),
			"issuerRef":               map[string]any{"name": ref.Name, "kind": kind, "group": group},
			"dnsNames":                names,
			"usages":                  []any{"server auth", "digital signature", "key encipherment"},
			"privateKey":              map[string]any{"algorithm": "ECDSA", "size": int64(256), "rotationPolicy": "Always"},
			"additionalOutputFormats": []any{map[string]any{"type": "CombinedPEM"}},
		},
	}
	u := &unstructured.Unstructured{Object: obj}
	meta, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&m)
	if err == nil {
		u.Object["metadata"] = meta
	}
	return u
}

// ensureClientCertificate applies the Certificate when cert-manager issues
// the secure client port's certificate.
func (p *pass) ensureClientCertificate(ctx context.Context) error {
	spec := &p.zke.Spec
	if spec.ClientTLS() == zkv1.ClientTLSDisabled || spec.TLS.IssuerRef == nil {
		return nil
	}
	err := p.apply(ctx, p.rd.clientCertificate(), fieldOwner)
	if meta.IsNoMatchError(err) {
		return &certManagerMissingError{err: err}
	}
	return err
}
