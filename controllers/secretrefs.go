package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// secretRefError is a Secret the spec names that is missing or lacks a key.
// The pods are not rolled onto it (they would not start); the ZKEnsemble
// turns Degraded with reason SecretMissing until the Secret is there.
type secretRefError struct {
	field, secret, key, hint string
	missing                  bool // the Secret itself does not exist
}

func (e *secretRefError) Error() string {
	if e.missing {
		return fmt.Sprintf("Secret %q named by %s does not exist: %s", e.secret, e.field, e.hint)
	}
	return fmt.Sprintf("Secret %q named by %s has no key %q: %s", e.secret, e.field, e.key, e.hint)
}

// checkSecretRefs checks the Secrets spec.auth names, and the certificate
// Secret cert-manager writes when spec.tls.issuerRef is set.
func (p *pass) checkSecretRefs(ctx context.Context) error {
	auth := &p.zke.Spec.Auth
	if name := auth.SASLUsersSecret; name != "" {
		if err := p.needSecret(ctx, "spec.auth.saslUsersSecret", name, "",
			"create it in namespace "+p.zke.Namespace+" with one key per SASL user, its value the password"); err != nil {
			return err
		}
	}
	if d := auth.SuperDigest; d != nil {
		if err := p.needSecret(ctx, "spec.auth.superDigest", d.Name, d.Key,
			"its value is ZooKeeper's superDigest, super:<base64 of the SHA-1 of super:password>"); err != nil {
			return err
		}
	}
	if p.zke.Spec.ClientTLS() != zkv1.ClientTLSDisabled && p.zke.Spec.TLS.IssuerRef != nil {
		name := podlayout.ClientTLSSecret(p.zke.Name)
		for _, key := range []string{podlayout.ClientTLSCombinedFile, podlayout.ClientTLSCAFile} {
			if err := p.needSecret(ctx, "spec.tls.issuerRef (cert-manager's Certificate "+name+")", name, key,
				"waiting for cert-manager to issue it: see `kubectl describe certificate "+name+"`; the issuer must give ca.crt, and cert-manager must write the CombinedPEM output format"); err != nil {
				return err
			}
		}
	}
	return nil
}

// needSecret checks that Secret name exists and, when key is not empty,
// has that key (else at least one key).
func (p *pass) needSecret(ctx context.Context, field, name, key, hint string) error {
	s, err := p.getSecret(ctx, name)
	if apierrors.IsNotFound(err) {
		return &secretRefError{field: field, secret: name, key: key, hint: hint, missing: true}
	}
	if err != nil {
		return err
	}
	if key == "" {
		if len(s.Data) == 0 {
			return &secretRefError{field: field, secret: name, key: "<user>", hint: hint}
		}
		return nil
	}
	if len(s.Data[key]) == 0 {
		return &secretRefError{field: field, secret: name, key: key, hint: hint}
	}
	return nil
}

// checkClientSecurity makes cert-manager's Certificate and checks every
// Secret the members will mount. A missing one (or a missing cert-manager)
// stops the pass with a Degraded condition and a Warning event that say
// which and how to fix it, and looks again shortly: the user's Secrets are
// not watched (the operator caches only its own).
func (p *pass) checkClientSecurity(ctx context.Context) (res ctrl.Result, stop bool, err error) {
	err = p.ensureClientCertificate(ctx)
	if err == nil {
		err = p.checkSecretRefs(ctx)
	}
	var missing *secretRefError
	var noCM *certManagerMissingError
	reason := ""
	switch {
	case err == nil:
		return ctrl.Result{}, false, nil
	case errors.As(err, &missing):
		reason = "SecretMissing"
	case errors.As(err, &noCM):
		reason = "CertManagerMissing"
	default:
		return ctrl.Result{}, true, p.fail("ClientSecurityFailed", err)
	}
	p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, reason, "Secrets", "%v", err)
	_ = p.fail(reason, err)
	return ctrl.Result{RequeueAfter: 10 * time.Second}, true, nil
}
