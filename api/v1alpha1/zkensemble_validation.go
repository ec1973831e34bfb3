package v1alpha1

import (
	"fmt"
	"strings"

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
	errs = append(errs, s.validateMemberCounts()...)
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
		warnings = append(warnings, maxSessionWarning(s.TickTime, max))
	}
	if min > max {
		if s.MinSessionTimeout == nil {
			errs = append(errs, field.Invalid(spec.Child("maxSessionTimeout"), max, fmt.Sprintf(
				"is below the derived minSessionTimeout (2*tickTime = %d ms): raise maxSessionTimeout or lower tickTime to at most %d", min, max/2)))
		} else {
			errs = append(errs, field.Invalid(spec.Child("minSessionTimeout"), min, fmt.Sprintf(
				"minSessionTimeout (%d ms) exceeds maxSessionTimeout (%d ms): lower minSessionTimeout or raise maxSessionTimeout", min, max)))
		}
	}
	errs = append(errs, s.validateExtraConfig()...)
	errs = append(errs, s.validatePod()...)
	errs = append(errs, s.validateBackups()...)
	secErrs, secWarnings := s.validateSecurity()
	return append(errs, secErrs...), append(warnings, secWarnings...)
}

// maxSessionWarning explains a maxSessionTimeout above ZooKeeper's default
// bound of 20 ticks, which ZooKeeper accepts too (HBase and Kafka set more).
func maxSessionWarning(tick, max int32) string {
	return fmt.Sprintf("maxSessionTimeout=%d ms is above 20*tickTime (%d ms), ZooKeeper's default bound: accepted, but a client may "+
		"negotiate sessions of up to %d ms (%d ticks), so when it dies or is cut off its ephemeral nodes, locks and watches stay "+
		"until then before the session expires. To keep expiry within 20 ticks, lower maxSessionTimeout to %d or raise tickTime to at least %d",
		max, 20*tick, max, (max+tick-1)/tick, 20*tick, (max+19)/20)
}

// ValidateUpdate adds the rules for changes: what the operator cannot carry
// out is refused with how to do it instead; what it stages is explained.
func (s *ZKEnsembleSpec) ValidateUpdate(old *ZKEnsembleSpec) (errs field.ErrorList, warnings []string) {
	errs, warnings = s.Validate()
	errs = append(errs, s.validateBootstrapUpdate(old)...)
	storage := field.NewPath("spec", "storage")
	errs = append(errs, s.validateStorageUpdate(old)...)
	if now, was := s.Storage.VolumeSize(), old.Storage.VolumeSize(); now.Cmp(was) > 0 {
		warnings = append(warnings, fmt.Sprintf("storage.size %s → %s: each member's PVC is expanded in place if its StorageClass has allowVolumeExpansion: true; "+
			"otherwise they keep their size and the VolumesExpanded condition says why", &was, &now))
	}
	if !strPtrEqual(old.Storage.StorageClassName, s.Storage.StorageClassName) {
		errs = append(errs, field.Forbidden(storage.Child("storageClassName"),
			"storageClassName cannot change: create a new ZKEnsemble with the new class and move the data"))
	}
	if (s.ClientTLS() == ClientTLSRequired) != (old.ClientTLS() == ClientTLSRequired) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "tls", "client"),
			"tls.client cannot change to or from Required on a running ensemble: each member's client port is in the replicated configuration (what clients and the published list see) and does not change on a restart. Switch between Disabled and Optional (both ports), or create a new ZKEnsemble with the mode you want and move the data"))
	}
	if s.Replicas < old.Replicas && old.Replicas-s.Replicas >= (old.Replicas+1)/2 {
		warnings = append(warnings, fmt.Sprintf("scaling down from %d to %d is carried out one member at a time, each removal committed before the next", old.Replicas, s.Replicas))
	}
	return errs, warnings
}

// IsOwnedConfigKey reports whether a zoo.cfg key is the operator's own, so
// extraConfig may not set it.
func IsOwnedConfigKey(key string) bool {
	switch key {
	case "dataDir", "dataLogDir", "clientPort", "clientPortAddress", "secureClientPort",
		"admin.serverPort", "admin.serverAddress", "admin.enableServer",
		"tickTime", "minSessionTimeout", "maxSessionTimeout", "initLimit", "syncLimit", "maxClientCnxns",
		"autopurge.snapRetainCount", "4lw.commands.whitelist",
		"standaloneEnabled", "reconfigEnabled", "dynamicConfigFile",
		"readonlymode.enabled", // spec.readOnlyMode
		// Security: member TLS, the admin API's credentials, the probe port.
		"sslQuorum", "admin.tokenFile", "metricsProvider.httpPort", "metricsProvider.httpHost":
		return true
	}
	return strings.HasPrefix(key, "server.") || strings.HasPrefix(key, "group.") || strings.HasPrefix(key, "weight.") ||
		strings.HasPrefix(key, "ssl.quorum.")
}

func strPtrEqual(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
