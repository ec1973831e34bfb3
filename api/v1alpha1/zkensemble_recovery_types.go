package v1alpha1

// ForceNewClusterAnnotation, set by the user on a ZKEnsemble that lost a
// majority of its voters for good (status condition QuorumLost), asks the
// operator to rebuild the ensemble from one survivor: "<member-id>", or
// "<member-id>/accept-data-loss" to choose a survivor that is not the most
// advanced. Writes acknowledged only by the lost members are gone. The
// operator removes the annotation when the survivor leads again, or when it
// withdraws a request made while no quorum was lost (docs/operations.md,
// "Disaster recovery").
const ForceNewClusterAnnotation = "zookeeper.zkensemble.io/force-new-cluster"

// RecoveryStatus is a recovery from a survivor under way, recorded so that
// an operator restarted in the middle resumes it.
type RecoveryStatus struct {
	// Member is the survivor the ensemble is rebuilt from.
	Member int32 `json:"member"`
	// Request is what the survivor's pod reads at start
	// ("<ensemble-uid>/<member-id>/<nonce>"): it acts on it once.
	Request string `json:"request"`
	// Restarted: the survivor's pod was restarted to read the request.
	// +optional
	Restarted bool `json:"restarted,omitempty"`
	// AppliedIndex is the survivor's applied log index when it was chosen.
	// +optional
	AppliedIndex int64 `json:"appliedIndex,omitempty"`
}
