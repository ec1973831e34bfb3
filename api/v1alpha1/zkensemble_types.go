package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func metav1AddToGroupVersion(s *runtime.Scheme) { metav1.AddToGroupVersion(s, GroupVersion) }

// ZKEnsembleSpec describes the ensemble users want.
//
// Session-timeout bounds follow ZooKeeper's rule; left unset they are derived
// from tickTime when the configuration is rendered and never written back.
// minSessionTimeout is at least 2 ticks (expiry works in ticks); a
// maxSessionTimeout above 20 ticks is accepted, as ZooKeeper does, with an
// admission warning (the webhook's: CEL cannot warn).
// +kubebuilder:validation:XValidation:rule="!has(self.minSessionTimeout) || self.minSessionTimeout >= 2 * self.tickTime",message="minSessionTimeout must be at least 2*tickTime: raise minSessionTimeout or lower tickTime"
// +kubebuilder:validation:XValidation:rule="!has(self.minSessionTimeout) || !has(self.maxSessionTimeout) || self.minSessionTimeout <= self.maxSessionTimeout",message="minSessionTimeout must not exceed maxSessionTimeout"
// +kubebuilder:validation:XValidation:rule="!has(self.minSessionTimeout) || has(self.maxSessionTimeout) || self.minSessionTimeout <= 20 * self.tickTime",message="minSessionTimeout exceeds the derived maxSessionTimeout (20*tickTime): lower minSessionTimeout, raise tickTime or set maxSessionTimeout"
// +kubebuilder:validation:XValidation:rule="!has(self.maxSessionTimeout) || has(self.minSessionTimeout) || self.maxSessionTimeout >= 2 * self.tickTime",message="maxSessionTimeout is below the derived minSessionTimeout (2*tickTime): raise maxSessionTimeout or lower tickTime"
// +kubebuilder:validation:XValidation:rule="has(self.bootstrap) == has(oldSelf.bootstrap)",message="spec.bootstrap is set only when the ensemble is created: restoring over a live ensemble is refused; create a new ZKEnsemble with spec.bootstrap"
type ZKEnsembleSpec struct {
	// Replicas is the number of voting members. Odd numbers tolerate the same
	// failures as the next even number with fewer members.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:XValidation:rule="self <= 127",message="replicas is at most 127 (voters have member ids 1..127): lower replicas; for more read capacity add observers (spec.observers)"
	// +kubebuilder:default=3
	Replicas int32 `json:"replicas"`

	// Observers is the number of non-voting members (ZooKeeper's observers):
	// they serve reads and sessions, forward writes, and never count toward
	// the quorum, so scaling them never changes the voter set. They run in
	// the StatefulSet <name>-observer with member ids from 128.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:XValidation:rule="self <= 127",message="observers is at most 127 (observers have member ids 128..254): lower observers"
	// +optional
	Observers int32 `json:"observers,omitempty"`

	// Image of the zkensemble server.
	// +optional
	Image string `json:"image,omitempty"`
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// TickTime is ZooKeeper's basic time unit in milliseconds.
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=60000
	// +kubebuilder:default=2000
	TickTime int32 `json:"tickTime"`
	// MinSessionTimeout in milliseconds; unset means 2*tickTime.
	// +optional
	MinSessionTimeout *int32 `json:"minSessionTimeout,omitempty"`
	// MaxSessionTimeout in milliseconds; unset means 20*tickTime. Above
	// 20*tickTime is accepted with a warning: a client may then keep a dead
	// session (its ephemeral nodes and locks) that long before it expires.
	// +optional
	MaxSessionTimeout *int32 `json:"maxSessionTimeout,omitempty"`
	// InitLimit and SyncLimit bound, in ticks, how long a member may take to
	// catch up before it counts as lagging (ZooKeeper's initLimit/syncLimit).
	// +kubebuilder:validation:Minimum=1
	// +optional
	InitLimit *int32 `json:"initLimit,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	SyncLimit *int32 `json:"syncLimit,omitempty"`
	// MaxClientCnxns per client address; 0 means unlimited.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxClientCnxns *int32 `json:"maxClientCnxns,omitempty"`
	// SnapshotRetention is how many snapshots each member keeps.
	// +kubebuilder:validation:Minimum=3
	// +optional
	SnapshotRetention *int32 `json:"snapshotRetention,omitempty"`
	// FourLetterWords is the 4lw.commands.whitelist ("*" for all). The default,
	// srvr,ruok,mntr,conf,envi,wchs,dirs,isro, leaves out the words that print
	// session ids or client addresses (cons, stat, dump, wchc, wchp): anyone
	// who reaches the client port can send them.
	// +optional
	FourLetterWords []string `json:"fourLetterWords,omitempty"`
	// ReadOnlyMode lets a member cut off from the quorum serve the clients
	// that connect with canBeReadOnly: reads from what it has, writes
	// refused with NotReadOnly, until the quorum returns (ZooKeeper's
	// readonlymode.enabled). Off, such a member serves nobody.
	// +optional
	ReadOnlyMode bool `json:"readOnlyMode,omitempty"`
	// ExtraConfig adds zoo.cfg keys the operator does not own. Security keys
	// have spec fields (tls, auth); keys and values are single lines (values:
	// checked by the webhook, and by the operator when it writes zoo.cfg; a
	// CEL rule over unbounded map values exceeds the API server's cost budget).
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z0-9][A-Za-z0-9._-]*$'))",message="extraConfig keys are zoo.cfg keys: letters, digits, '.', '_' and '-' only (no '=', ':', spaces or newlines)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k.startsWith('ssl.') || k.startsWith('secureClientPort') || k.startsWith('zookeeper.ssl.') || k == 'client.secure'))",message="client TLS keys (ssl.*, secureClientPort) are set by the operator: use spec.tls (member TLS, ssl.quorum.*, is always on)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k.startsWith('authProvider.') || k.startsWith('zookeeper.authProvider.') || k.startsWith('sasl.') || k.startsWith('enforce.auth.') || k.startsWith('superUser') || k == 'jaasLoginConfig' || k.startsWith('java.security.auth.') || k.startsWith('SASLAuthenticationProvider.') || k.startsWith('X509AuthenticationProvider.') || k.startsWith('zookeeper.X509AuthenticationProvider.') || k.startsWith('zookeeper.DigestAuthenticationProvider.') || k.startsWith('quorum.auth.') || k.startsWith('kerberos.') || k == 'superDigest' || k == 'sessionRequireClientSASLAuth'))",message="authentication keys (authProvider.*, sasl.*, enforce.auth.*, superDigest, superUser, jaasLoginConfig, ...) are set by the operator: use spec.auth"
	// +kubebuilder:validation:XValidation:rule="!('readonlymode.enabled' in self)",message="readonlymode.enabled is set by the operator: use spec.readOnlyMode"
	// +optional
	ExtraConfig map[string]string `json:"extraConfig,omitempty"`

	// TLS on the client port: off, both ports, or the secure port only.
	// +optional
	TLS TLSSpec `json:"tls,omitempty"`
	// Auth is client authentication: SASL users, super user, required schemes.
	// +optional
	Auth AuthSpec `json:"auth,omitempty"`
	// NetworkPolicy limits who reaches each member port (rendered unless disabled).
	// +optional
	NetworkPolicy NetworkPolicySpec `json:"networkPolicy,omitempty"`

	// Storage of each member.
	// +optional
	Storage StorageSpec `json:"storage,omitempty"`

	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`
	// +optional
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// ClientService is the Service clients use.
	// +optional
	ClientService ClientServiceSpec `json:"clientService,omitempty"`
	// Pod settings of the member pods: pull secrets, env, volumes, sidecars,
	// service account, probe timings, anti-affinity.
	// +optional
	Pod PodSettings `json:"pod,omitempty"`
	// DisruptionBudget overrides the PodDisruptionBudget derived from the quorum.
	// +optional
	DisruptionBudget *DisruptionBudgetSpec `json:"disruptionBudget,omitempty"`
	// Metrics exposes Prometheus metrics.
	// +optional
	Metrics MetricsSpec `json:"metrics,omitempty"`

	// Backup takes scheduled backups (zkbackup_types.go).
	// +optional
	Backup *BackupSpec `json:"backup,omitempty"`
	// Bootstrap fills a new ensemble from a backup or a ZooKeeper data
	// directory; set at creation only.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="bootstrap is set when the ensemble is created and cannot change: restoring over a live ensemble is refused; create a new ZKEnsemble with spec.bootstrap"
	// +optional
	Bootstrap *BootstrapSpec `json:"bootstrap,omitempty"`
}

// StorageSpec is a member's volume.
// +kubebuilder:validation:XValidation:rule="has(self.dataLog) == has(oldSelf.dataLog)",message="storage.dataLog cannot be added or removed on a running ensemble (the transaction log would be left behind): create a new ZKEnsemble and move the data"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.storageClassName) || (has(self.storageClassName) && self.storageClassName == oldSelf.storageClassName)",message="storageClassName cannot change: create a new ZKEnsemble and move the data"
type StorageSpec struct {
	// Size of each member's volume. Raising it expands every member's
	// volume in place when its StorageClass allows expansion (refused with a
	// Degraded condition when it does not); it never shrinks.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// StorageClassName of the volumes; unset uses the cluster's default.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
	// VolumeReclaimPolicy says what happens to a removed member's volume. A
	// retained volume never rejoins with stale state: its data directory is
	// stamped with the ensemble and member identity.
	// +kubebuilder:validation:Enum=Delete;Retain
	// +kubebuilder:default=Delete
	// +optional
	VolumeReclaimPolicy string `json:"volumeReclaimPolicy,omitempty"`
	// VolumePermissions runs an init container as root (CAP_CHOWN only) that
	// hands the volume to the server's user, for storage that ignores fsGroup
	// (hostPath and its provisioners). Pods with it do not pass Pod Security
	// "restricted"; without it, fsGroup makes the volume the server's.
	// +optional
	VolumePermissions bool `json:"volumePermissions,omitempty"`
	// DataLog gives each member a second volume for its transaction log
	// (ZooKeeper's dataLogDir; the Raft WAL), apart from the snapshots.
	// Set when the ensemble is created; it cannot be added or removed later.
	// +optional
	DataLog *DataLogStorage `json:"dataLog,omitempty"`
}

// ClientServiceSpec is the client Service.
// +kubebuilder:validation:XValidation:rule="!has(self.loadBalancerSourceRanges) || size(self.loadBalancerSourceRanges) == 0 || (has(self.type) && self.type == 'LoadBalancer')",message="loadBalancerSourceRanges needs type LoadBalancer"
// +kubebuilder:validation:XValidation:rule="!has(self.externalTrafficPolicy) || self.externalTrafficPolicy == 'Cluster' || (has(self.type) && self.type in ['NodePort', 'LoadBalancer'])",message="externalTrafficPolicy Local needs type NodePort or LoadBalancer"
type ClientServiceSpec struct {
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// Annotations of the Service (cloud load balancer settings).
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// LoadBalancerSourceRanges limits who reaches a LoadBalancer (CIDRs).
	// +kubebuilder:validation:MaxItems=64
	// +optional
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`
	// ExternalTrafficPolicy of a NodePort or LoadBalancer Service (Local
	// keeps clients' source addresses).
	// +kubebuilder:validation:Enum=Cluster;Local
	// +optional
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
}

// DisruptionBudgetSpec overrides the derived budget (voters - quorum).
type DisruptionBudgetSpec struct {
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// MetricsSpec configures the metrics endpoint.
type MetricsSpec struct {
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// PodMonitor for the Prometheus Operator (zkensemble_metrics_types.go).
	// +optional
	PodMonitor *PodMonitorSpec `json:"podMonitor,omitempty"`
}

// MemberStatus is one member as the ensemble reports it.
type MemberStatus struct {
	ID      int32  `json:"id"`
	Pod     string `json:"pod,omitempty"`
	Address string `json:"address,omitempty"`
	// +kubebuilder:validation:Enum=leader;follower;learner;observer;none
	Role string `json:"role,omitempty"`
	Zxid string `json:"zxid,omitempty"`
	Lag  int64  `json:"lag,omitempty"`
}

// ZKEnsembleStatus is what the operator observed.
type ZKEnsembleStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Available (a quorum serves), Progressing (the step under way), Degraded.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	ReadyMembers int32 `json:"readyMembers,omitempty"`
	// +optional
	VotingMembers int32 `json:"votingMembers,omitempty"`
	// ReadyObservers is the number of observers whose pods are ready.
	// +optional
	ReadyObservers int32 `json:"readyObservers,omitempty"`
	// +optional
	Leader string `json:"leader,omitempty"`
	// +optional
	Members []MemberStatus `json:"members,omitempty"`
	// ConnectString is the published server list clients rebalance with.
	// +optional
	ConnectString string `json:"connectString,omitempty"`
	// SecureConnectString is the published servers' secure client ports
	// (spec.tls); with tls.client Required it is connectString.
	// +optional
	SecureConnectString string `json:"secureConnectString,omitempty"`
	// ServerListVersion changes with every published list.
	// +optional
	ServerListVersion int64 `json:"serverListVersion,omitempty"`
	// ConfigVersion is the version of /zookeeper/config.
	// +optional
	ConfigVersion string `json:"configVersion,omitempty"`
	// +optional
	Phase string `json:"phase,omitempty"`
	// Selector of the member pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`
	// Recovery is a rebuild from a survivor under way (ForceNewClusterAnnotation).
	// +optional
	Recovery *RecoveryStatus `json:"recovery,omitempty"`
	// Bootstrap is what spec.bootstrap did: once Restored it never runs again.
	// +optional
	Bootstrap *BootstrapStatus `json:"bootstrap,omitempty"`
}

// ZKEnsemble is a replicated ZooKeeper-compatible ensemble.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.votingMembers,selectorpath=.status.selector
// +kubebuilder:resource:shortName=zke
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=".spec.replicas"
// +kubebuilder:printcolumn:name="Ready Voters",type=integer,JSONPath=".status.votingMembers"
// +kubebuilder:printcolumn:name="Leader",type=string,JSONPath=".status.leader"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type ZKEnsemble struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ZKEnsembleSpec   `json:"spec,omitempty"`
	Status ZKEnsembleStatus `json:"status,omitempty"`
}

// ZKEnsembleList is a list of ZKEnsembles.
// +kubebuilder:object:root=true
type ZKEnsembleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ZKEnsemble `json:"items"`
}
