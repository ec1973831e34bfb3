package v1alpha1

// Annotations on a ZKEnsemble that ask the operator for a one-off operation
// (kubectl zke sets them; so can kubectl annotate). The operator carries them
// out with the same steps as its own changes, so they keep the quorum and
// the sessions.
const (
	// RestartedAtAnnotation, set to a time (RFC 3339, as `kubectl rollout
	// restart` writes), is copied to the member pods' template: a new value
	// is a new revision, rolled one member at a time, followers first and
	// the leader last after it hands leadership over.
	RestartedAtAnnotation = "zookeeper.zkensemble.io/restartedAt"
	// SwitchoverToAnnotation, set to a member id, asks the leader to hand
	// leadership to that voter once the ensemble is otherwise settled. The
	// operator removes the annotation when the member leads, or when the
	// request cannot be met (not a voter, not an id), with a Warning event.
	SwitchoverToAnnotation = "zookeeper.zkensemble.io/switchover-to"
)
