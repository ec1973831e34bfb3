package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// PodSettings are what a real cluster adds to the member pods: pull
// secrets, variables, volumes, sidecars, a service account, probe timings,
// and how members spread across nodes. Names, paths and ports of the
// server's own (pkg/podlayout) are refused, with how to fix it.
type PodSettings struct {
	// ImagePullSecrets for the member pods' images (a private registry).
	// +kubebuilder:validation:MaxItems=8
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// ServiceAccountName runs the member pods as this service account.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// AutomountServiceAccountToken mounts the service account's token. The
	// server never calls the Kubernetes API, so it is off unless a sidecar
	// needs it.
	// +optional
	AutomountServiceAccountToken bool `json:"automountServiceAccountToken,omitempty"`
	// Env adds variables to the server container.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(e, !(e.name in ['POD_NAMESPACE', 'ZK_SUPER_DIGEST']))",message="POD_NAMESPACE and ZK_SUPER_DIGEST are set by the operator: rename the variable (spec.auth.superDigest sets the super user)"
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Volumes adds volumes to the pod, for volumeMounts and sidecars.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(v, !(v.name in ['data', 'datalog', 'config', 'tls', 'sasl-users', 'client-tls']))",message="volume names data, datalog, config, tls, sasl-users and client-tls are the server's: rename the volume"
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`
	// VolumeMounts adds mounts to the server container (not over its own
	// paths: /data, /datalog, /etc/zkensemble).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(m, !['/data', '/datalog', '/etc/zkensemble'].exists(p, m.mountPath == p || m.mountPath == p + '/' || m.mountPath.startsWith(p + '/')))",message="volumeMounts may not be over or under the server's paths (/data, /datalog, /etc/zkensemble): mount elsewhere"
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// Containers are sidecars, beside the server container. They share its
	// network: its ports (2181, 2281, 2888, 3888, 7000, 8080) are refused
	// (by the webhook: a CEL rule over every container's ports exceeds the
	// API server's cost budget).
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:XValidation:rule="self.all(c, !(c.name in ['server', 'volume-permissions']))",message="container names server and volume-permissions are the operator's: rename the sidecar"
	// +optional
	Containers []corev1.Container `json:"containers,omitempty"`
	// InitContainers run before the server (after the volume-permissions
	// container, when there is one).
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:XValidation:rule="self.all(c, !(c.name in ['server', 'volume-permissions']))",message="container names server and volume-permissions are the operator's: rename the init container"
	// +optional
	InitContainers []corev1.Container `json:"initContainers,omitempty"`
	// AntiAffinity spreads members across nodes (kubernetes.io/hostname):
	// Preferred (the default) when the scheduler can, Required always (a
	// member stays Pending without a free node), None not at all. A
	// podAntiAffinity in spec.affinity replaces it.
	// +kubebuilder:validation:Enum=Preferred;Required;None
	// +optional
	AntiAffinity AntiAffinity `json:"antiAffinity,omitempty"`
	// ReadinessProbe and LivenessProbe timings (the probes themselves are the
	// server's /readyz and /healthz).
	// +optional
	ReadinessProbe *ProbeTimings `json:"readinessProbe,omitempty"`
	// +optional
	LivenessProbe *ProbeTimings `json:"livenessProbe,omitempty"`
}

// AntiAffinity is how member pods spread across nodes.
type AntiAffinity string

const (
	AntiAffinityPreferred AntiAffinity = "Preferred"
	AntiAffinityRequired  AntiAffinity = "Required"
	AntiAffinityNone      AntiAffinity = "None"
)

// ProbeTimings override a probe's timings; unset fields keep the defaults
// (readiness every 2 s, liveness every 10 s, 2 s timeout, 3 failures).
type ProbeTimings struct {
	// +kubebuilder:validation:Minimum=0
	// +optional
	InitialDelaySeconds *int32 `json:"initialDelaySeconds,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	PeriodSeconds *int32 `json:"periodSeconds,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	FailureThreshold *int32 `json:"failureThreshold,omitempty"`
}

// DataLogStorage is the transaction-log volume of each member.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.storageClassName) || (has(self.storageClassName) && self.storageClassName == oldSelf.storageClassName)",message="dataLog.storageClassName cannot change: create a new ZKEnsemble and move the data"
type DataLogStorage struct {
	// Size of each member's log volume (default 1Gi); grows like
	// storage.size.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// StorageClassName of the log volumes (a faster class, typically);
	// unset uses the cluster's default.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}
