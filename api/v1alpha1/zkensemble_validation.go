package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// SessionTimeouts returns the bounds the server will use: the given ones, or
// ZooKeeper's defaults derived from tickTime (2 and 20 ticks). The spec is
// never changed, so the derived values follow a later tickTime change.
func (s *ZKEnsembleSpec) SessionTimeouts() (min, max int32) {
	min, max = 2*s.TickTime, 20*s.TickTime
	if s.MinSessionTimeout != nil {
		min = *s.MinSessionTimeout
	}
	if s.MaxSessionTimeout != nil {
		max = *s.MaxSessionTimeout
	}
	return min, max
}

// Validate checks the rules of the admission webhook, with messages that say
// how to fix the spec. The CRD carries the same rules as CEL, so they hold
// while the webhook is down. Warnings do not reject.
func (s *ZKEnsembleSpec) Validate() (errs field.ErrorList, warnings []string) {
	spec := field.NewPath("spec")
	if s.Replicas < 1 {
		errs = append(errs, field.Invalid(spec.Child("replicas"), s.Replicas, "at least 1 member is needed"))
	} else if s.Replicas%2 == 0 {
		warnings = append(warnings, fmt.Sprintf("replicas=%d tolerates no more failures than %d: prefer an odd number", s.Replicas, s.Replicas-1))
	}
	if s.TickTime < 10 || s.TickTime > 60000 {
		errs = append(errs, field.Invalid(spec.Child("tickTime"), s.TickTime, "tickTime must be between 10 and 60000 ms"))
		return errs, warnings
	}
	min, max := s.SessionTimeouts()
	if min < 2*s.TickTime {
		errs = append(errs, field.Invalid(spec.Child("minSessionTimeout"), min,
			fmt.Sprintf("must be at least 2*tickTime (%d ms): raise it or lower tickTime to at most %d", 2*s.TickTime, min/2)))
	}
	if max > 20*s.TickTime {
		errs = append(errs, field.Invalid(spec.Child("maxSessionTimeout"), max,
			fmt.Sprintf("must be at most 20*tickTime (%d ms): lower it or raise tickTime to at least %d", 20*s.TickTime, (max+19)/20)))
	}
	if min > max {
		p := spec.Child("minSessionTimeout")
		if s.MinSessionTimeout == nil {
			p = spec.Child("maxSessionTimeout")
		}
		errs = append(errs, field.Invalid(p, min, fmt.Sprintf("minSessionTimeout (%d ms) exceeds maxSessionTimeout (%d ms)", min, max)))
	}
	return errs, warnings
}
