package podlayout

import "fmt"

// Ports of every member.
const (
	ClientPort = 2181
	// SecureClientPort serves the client protocol over TLS (ZooKeeper's
	// secureClientPort), when the ensemble's spec turns client TLS on.
	SecureClientPort = 2281
	QuorumPort       = 2888
	ElectionPort     = 3888
	// AdminPort serves the admin API: HTTPS with client certificates when the
	// member has certificates, else plain HTTP.
	AdminPort = 8080
	// ProbePort serves /healthz, /readyz and /metrics in plain HTTP, without
	// credentials, for the kubelet and Prometheus (ZooKeeper's Prometheus
	// metrics port, metricsProvider.httpPort).
	ProbePort = 7000
)

// Mounts in a member pod.
const (
	DataDir   = "/data"
	ConfigDir = "/etc/zkensemble"
	// TLSDir holds the member certificates Secret (see MemberCertFile).
	TLSDir = "/etc/zkensemble/tls"
	// ZooCfg and BootstrapFile are keys of the configuration ConfigMap, files in ConfigDir.
	ZooCfg        = "zoo.cfg"
	BootstrapFile = "bootstrap"
	// ForceNewClusterFile, a key of the same ConfigMap, holds a
	// force-new-cluster request "<ensemble-uid>/<member-id>/<nonce>" while
	// the operator rebuilds the ensemble from that member (the user asked,
	// after losing a majority); every pod reads it at start, only the member
	// it names acts on it, once.
	ForceNewClusterFile = "force-new-cluster"
	// SASLUsersDir holds the user's SASL users Secret (sasl.usersDir: each
	// file a user, its content the password).
	SASLUsersDir = "/etc/zkensemble/sasl-users"
	// ClientTLSDir holds the secure client port's certificate when
	// cert-manager issues it (its Secret: tls.crt, tls.key, ca.crt and the
	// combined PEM file the server reads).
	ClientTLSDir = "/etc/zkensemble/client-tls"
)

// Keys of a cert-manager certificate Secret, files in ClientTLSDir.
const (
	ClientTLSCombinedFile = "tls-combined.pem"
	ClientTLSCAFile       = "ca.crt"
)

// EnvSuperDigest carries the superDigest from the user's Secret into the
// server's --superDigest flag (zoo.cfg is a ConfigMap and holds no secrets).
const EnvSuperDigest = "ZK_SUPER_DIGEST"

// Keys of the member certificates Secret (<name>-tls), files in TLSDir: the
// trust bundle, and a certificate and key per member id (every pod mounts
// the Secret and picks its own by its id).
const CAFile = "ca.crt"

// MemberCertFile and MemberKeyFile are member id's certificate and key.
func MemberCertFile(id uint64) string { return fmt.Sprintf("member-%d.crt", id) }
func MemberKeyFile(id uint64) string  { return fmt.Sprintf("member-%d.key", id) }

// Keys of the CA Secret (<name>-ca), which only the operator reads.
const (
	CACertKey = "ca.crt"
	CAKeyKey  = "ca.key"
)

// Secret names of an ensemble.
func CASecret(ensemble string) string  { return ensemble + "-ca" }
func TLSSecret(ensemble string) string { return ensemble + "-tls" }

// ClientTLSSecret is the Secret cert-manager writes the secure client
// port's certificate to.
func ClientTLSSecret(ensemble string) string { return ensemble + "-client-tls" }

// Flags of zkensemble-server in pod mode.
const (
	FlagPodDomain     = "pod-domain"
	FlagBootstrapFile = "bootstrap-file"
	FlagEnsembleID    = "ensemble-id"
	// FlagTLSDir names the directory of the member certificates Secret: the
	// member then speaks mutual TLS to its peers, serves its admin API over
	// HTTPS to the operator's certificate only, and serves probes on ProbePort.
	FlagTLSDir = "tls-dir"
	// FlagObserver marks a pod of the observers' StatefulSet: its id is
	// ObserverID(ordinal), it always joins as a learner and is never
	// promoted.
	FlagObserver = "observer"
)
