package webhook

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-zookeeper-zkensemble-io-v1alpha1-zkbackup,mutating=false,failurePolicy=fail,sideEffects=None,groups=zookeeper.zkensemble.io,resources=zkbackups,verbs=create;update,versions=v1alpha1,name=vzkbackup-v1alpha1.zkensemble.io,admissionReviewVersions=v1

// BackupValidator validates ZKBackups.
type BackupValidator struct{}

var _ admission.Validator[*zkv1.ZKBackup] = BackupValidator{}

// ValidateCreate checks a new backup.
func (BackupValidator) ValidateCreate(_ context.Context, b *zkv1.ZKBackup) (admission.Warnings, error) {
	if errs := b.Spec.Validate(); len(errs) > 0 {
		return nil, apierrors.NewInvalid(zkv1.GroupVersion.WithKind("ZKBackup").GroupKind(), b.Name, errs)
	}
	return nil, nil
}

// ValidateUpdate checks a change: what a backup is of and where it goes stay.
func (BackupValidator) ValidateUpdate(_ context.Context, old, b *zkv1.ZKBackup) (admission.Warnings, error) {
	if errs := b.Spec.ValidateUpdate(&old.Spec); len(errs) > 0 {
		return nil, apierrors.NewInvalid(zkv1.GroupVersion.WithKind("ZKBackup").GroupKind(), b.Name, errs)
	}
	return nil, nil
}

// ValidateDelete allows every deletion.
func (BackupValidator) ValidateDelete(context.Context, *zkv1.ZKBackup) (admission.Warnings, error) {
	return nil, nil
}
