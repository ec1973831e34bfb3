package v1alpha1

// PodMonitorSpec asks for a Prometheus Operator PodMonitor
// (monitoring.coreos.com/v1) that scrapes every member's /metrics on the
// probe port. Without the Prometheus Operator's CRDs in the cluster the
// operator skips it and says so in the Monitoring condition.
type PodMonitorSpec struct {
	// Enabled creates the PodMonitor.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Interval between scrapes (Prometheus duration, e.g. 30s); empty: the
	// Prometheus' own default.
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`
	// +optional
	Interval string `json:"interval,omitempty"`
	// Labels on the PodMonitor, for a Prometheus' podMonitorSelector.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}
