package controllers

import (
	"fmt"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Ports, mounts and Secret names of a member pod are podlayout's (the
// server's pod mode reads the same).
const (
	// fieldOwner is the server-side apply field manager of the rendered objects;
	// publishOwner owns the published server list, which changes at other times.
	fieldOwner   = "zkensemble-operator"
	publishOwner = "zkensemble-operator/publish"

	// configHashAnnotation on the pod template rolls the pods when the
	// rendered configuration changes.
	configHashAnnotation = "zookeeper.zkensemble.io/config-hash"
)

// Keys of the published server list ConfigMap (<name>-servers), read by
// pkg/zkclient/k8sdiscovery.
const (
	keyConnectString = "connectString"
	keyVersion       = "version"
	keyMembers       = "members"
	// keySecureConnectString is the same servers' secure client ports,
	// when spec.tls serves them.
	keySecureConnectString = "secureConnectString"
)

// names of the objects a ZKEnsemble owns, and their DNS names in the
// cluster's domain.
type names struct {
	zke    *zkv1.ZKEnsemble
	domain string // the cluster's DNS domain (Reconciler.ClusterDomain)
}

func (n names) statefulSet() string   { return n.zke.Name }
func (n names) peers() string         { return n.zke.Name + "-peers" }
func (n names) client() string        { return n.zke.Name + "-client" }
func (n names) config() string        { return n.zke.Name + "-config" }
func (n names) servers() string       { return n.zke.Name + "-servers" }
func (n names) pdb() string           { return n.zke.Name }
func (n names) networkPolicy() string { return n.zke.Name }
func (n names) caBundle() string      { return n.zke.Name + "-ca-bundle" }
func (n names) caSecret() string      { return podlayout.CASecret(n.zke.Name) }
func (n names) tlsSecret() string     { return podlayout.TLSSecret(n.zke.Name) }

// pod is the name of member id's pod (podlayout.MemberPod: a voter's
// StatefulSet ordinal is id-1, an observer's is in its own StatefulSet).
func (n names) pod(id uint64) string { return podlayout.MemberPod(n.zke.Name, id) }

// host is the stable DNS name of member id.
func (n names) host(id uint64) string {
	return fmt.Sprintf("%s.%s.%s.svc.%s", n.pod(id), n.peers(), n.zke.Namespace, n.domain)
}

// hosts are every name member id's pod answers to in the cluster, for its
// certificate: the full name first, then the shorter forms search paths
// resolve, then the client Service's names (the member's certificate
// serves the secure client port too, reached through that Service).
func (n names) hosts(id uint64) []string {
	short := fmt.Sprintf("%s.%s", n.pod(id), n.peers())
	return append([]string{n.host(id), short + "." + n.zke.Namespace + ".svc", short + "." + n.zke.Namespace, short},
		n.clientHosts()...)
}

// clientHosts are the client Service's DNS names, longest first.
func (n names) clientHosts() []string {
	svc := n.client() + "." + n.zke.Namespace
	return []string{svc + ".svc." + n.domain, svc + ".svc", svc, n.client()}
}

// defaultClusterDomain is the DNS domain when Reconciler.ClusterDomain is
// empty.
const defaultClusterDomain = "cluster.local"

func (n names) labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "zkensemble",
		"app.kubernetes.io/instance":   n.zke.Name,
		"app.kubernetes.io/managed-by": "zkensemble-operator",
	}
}

func (n names) selector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "zkensemble", "app.kubernetes.io/instance": n.zke.Name}
}
