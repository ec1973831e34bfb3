package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// validateMemberCounts keeps replicas and observers inside their member id
// ranges (podlayout: voters 1..127, observers from 128), as the CRD's CEL
// rules do.
func (s *ZKEnsembleSpec) validateMemberCounts() (errs field.ErrorList) {
	spec := field.NewPath("spec")
	if s.Replicas > podlayout.MaxVoters {
		errs = append(errs, field.Invalid(spec.Child("replicas"), s.Replicas,
			"replicas is at most 127 (voters have member ids 1..127): lower replicas; for more read capacity add observers (spec.observers)"))
	}
	if s.Observers < 0 || s.Observers > podlayout.MaxObservers {
		errs = append(errs, field.Invalid(spec.Child("observers"), s.Observers,
			"observers is 0..127 (observers have member ids 128..254): lower observers"))
	}
	return errs
}
