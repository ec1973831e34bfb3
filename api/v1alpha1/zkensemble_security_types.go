package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// ClientTLSMode says which client ports the members serve.
// +kubebuilder:validation:Enum=Disabled;Optional;Required
type ClientTLSMode string

const (
	// ClientTLSDisabled serves only the plain client port (2181).
	ClientTLSDisabled ClientTLSMode = "Disabled"
	// ClientTLSOptional serves both the plain port and the secure port (2281).
	ClientTLSOptional ClientTLSMode = "Optional"
	// ClientTLSRequired serves only the secure port (2281).
	ClientTLSRequired ClientTLSMode = "Required"
)

// ClientCertAuth is ZooKeeper's ssl.clientAuth: whether clients present certificates.
// +kubebuilder:validation:Enum=None;Want;Need
type ClientCertAuth string

const (
	ClientCertNone ClientCertAuth = "None"
	ClientCertWant ClientCertAuth = "Want"
	ClientCertNeed ClientCertAuth = "Need"
)

// TLSSpec is TLS on the client port. Member TLS (the quorum and admin ports)
// is always on, with certificates of the ensemble's CA.
// +kubebuilder:validation:XValidation:rule="!has(self.clientAuth) || self.clientAuth == 'None' || (has(self.client) && self.client != 'Disabled')",message="tls.clientAuth asks for client certificates on the secure port: set tls.client to Optional or Required"
// +kubebuilder:validation:XValidation:rule="!has(self.issuerRef) || (has(self.client) && self.client != 'Disabled')",message="tls.issuerRef issues the secure client port's certificate: set tls.client to Optional or Required"
// +kubebuilder:validation:XValidation:rule="(has(self.client) && self.client == 'Required') == (has(oldSelf.client) && oldSelf.client == 'Required')",message="tls.client cannot change to or from Required on a running ensemble (the members' published client port is in the replicated configuration): use Optional, or create a new ZKEnsemble"
type TLSSpec struct {
	// Client is Disabled (plain port 2181 only), Optional (2181 and the
	// secure port 2281) or Required (2281 only).
	// +kubebuilder:default=Disabled
	// +optional
	Client ClientTLSMode `json:"client,omitempty"`
	// ClientAuth: None (no client certificates), Want (asked for; a presented
	// one must chain to the CA and gives the client an x509 id) or Need
	// (required in the handshake).
	// +kubebuilder:default=None
	// +optional
	ClientAuth ClientCertAuth `json:"clientAuth,omitempty"`
	// IssuerRef names a cert-manager Issuer or ClusterIssuer that issues the
	// secure client port's certificate (and whose CA client certificates
	// must chain to). Unset: the operator's per-ensemble CA issues it (the
	// members' own certificates serve the secure port).
	// +optional
	IssuerRef *IssuerRef `json:"issuerRef,omitempty"`
}

// IssuerRef is a cert-manager issuer.
type IssuerRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	// +kubebuilder:default=Issuer
	// +optional
	Kind string `json:"kind,omitempty"`
	// +kubebuilder:default=cert-manager.io
	// +optional
	Group string `json:"group,omitempty"`
}

// AuthScheme is a client authentication scheme that can be required.
// +kubebuilder:validation:Enum=sasl;x509
type AuthScheme string

// AuthSpec is client authentication. Secrets are read from the ensemble's
// namespace; one that does not exist, or lacks the key, holds the rollout
// back with a Degraded condition naming it.
// +kubebuilder:validation:XValidation:rule="!has(self.superUsers) || has(self.saslUsersSecret)",message="auth.superUsers names SASL users: set auth.saslUsersSecret"
type AuthSpec struct {
	// SASLUsersSecret names a Secret whose keys are SASL DIGEST-MD5 user
	// names and whose values are their passwords. It is mounted into the
	// members (sasl.usersDir) and read again when it changes.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	SASLUsersSecret string `json:"saslUsersSecret,omitempty"`
	// SuperUsers are SASL users that are ZooKeeper's super user.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9][A-Za-z0-9._@-]*$`
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	SuperUsers []string `json:"superUsers,omitempty"`
	// SuperDigest is a key of a Secret holding ZooKeeper's superDigest,
	// "super:<base64 SHA-1 of super:password>" (addauth digest super:password).
	// Read when a member starts.
	// +optional
	SuperDigest *corev1.SecretKeySelector `json:"superDigest,omitempty"`
	// Required refuses every request of a client that has not authenticated
	// with one of these schemes (ZooKeeper's enforce.auth.schemes).
	// +listType=set
	// +optional
	Required []AuthScheme `json:"required,omitempty"`
}

// NetworkPolicySpec is the NetworkPolicy rendered for the members.
type NetworkPolicySpec struct {
	// Enabled renders the policy (the default): the client ports from
	// ClientFrom (anywhere when empty), the quorum ports from the members
	// only, the admin port from the members and the operator's pods, the
	// probe port from anywhere. false removes it.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// ClientFrom are the peers that may reach the client ports; empty means any.
	// +optional
	ClientFrom []networkingv1.NetworkPolicyPeer `json:"clientFrom,omitempty"`
}

// ClientTLS returns the client TLS mode, Disabled when unset.
func (s *ZKEnsembleSpec) ClientTLS() ClientTLSMode {
	if s.TLS.Client == "" {
		return ClientTLSDisabled
	}
	return s.TLS.Client
}

// NetworkPolicyEnabled reports whether the NetworkPolicy is rendered.
func (s *ZKEnsembleSpec) NetworkPolicyEnabled() bool {
	return s.NetworkPolicy.Enabled == nil || *s.NetworkPolicy.Enabled
}
