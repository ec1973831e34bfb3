// Package webhook is the ZKEnsemble admission webhook: it rejects specs the
// operator could not run or change safely, with messages that say how to fix
// them. The CRD repeats the rules CEL can express, so they hold while the
// webhook is down.
package webhook

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// Path is where the validating webhook is served.
const Path = "/validate-zookeeper-zkensemble-io-v1alpha1-zkensemble"

// +kubebuilder:webhook:path=/validate-zookeeper-zkensemble-io-v1alpha1-zkensemble,mutating=false,failurePolicy=fail,sideEffects=None,groups=zookeeper.zkensemble.io,resources=zkensembles,verbs=create;update,versions=v1alpha1,name=vzkensemble-v1alpha1.zkensemble.io,admissionReviewVersions=v1

// Validator validates ZKEnsembles.
type Validator struct{}

var _ admission.Validator[*zkv1.ZKEnsemble] = Validator{}

// Setup registers the webhook with the manager's webhook server.
func Setup(mgr ctrl.Manager) error {
	if err := ctrl.NewWebhookManagedBy(mgr, &zkv1.ZKEnsemble{}).WithValidator(Validator{}).Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &zkv1.ZKBackup{}).WithValidator(BackupValidator{}).Complete()
}

// ValidateCreate checks a new ensemble.
func (Validator) ValidateCreate(_ context.Context, zke *zkv1.ZKEnsemble) (admission.Warnings, error) {
	errs, warnings := zke.Spec.Validate()
	if len(errs) > 0 {
		return warnings, apierrors.NewInvalid(zkv1.GroupVersion.WithKind("ZKEnsemble").GroupKind(), zke.Name, errs)
	}
	return warnings, nil
}

// ValidateUpdate checks a change.
func (Validator) ValidateUpdate(_ context.Context, old, zke *zkv1.ZKEnsemble) (admission.Warnings, error) {
	errs, warnings := zke.Spec.ValidateUpdate(&old.Spec)
	if len(errs) > 0 {
		return warnings, apierrors.NewInvalid(zkv1.GroupVersion.WithKind("ZKEnsemble").GroupKind(), zke.Name, errs)
	}
	return warnings, nil
}

// ValidateDelete allows every deletion.
func (Validator) ValidateDelete(context.Context, *zkv1.ZKEnsemble) (admission.Warnings, error) {
	return nil, nil
}

// The in-process certificate rotator keeps the CA and serving certificate in
// a Secret of the manager's namespace and fills the webhook's caBundle.
// +kubebuilder:rbac:groups="",namespace=zkensemble-system,resources=secrets,verbs=get;list;watch;create;update;patch
// Only its own ValidatingWebhookConfiguration (config/webhook's, prefixed by
// config/default; the chart puts its own name in): lists and watches carry
// a metadata.name selector (cmd/manager's scopeWebhookListing).
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=get;list;watch;update;patch,resourceNames=zkensemble-validating-webhook-configuration
