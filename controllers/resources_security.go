package controllers

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Port names of a member.
const (
	portClient       = "client"
	portSecureClient = "secure-client"
)

// clientPorts are the client ports the members serve (spec.tls.client).
func (r render) clientPorts() []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	mode := r.zke.Spec.ClientTLS()
	if mode != zkv1.ClientTLSRequired {
		ports = append(ports, corev1.ContainerPort{Name: portClient, ContainerPort: podlayout.ClientPort})
	}
	if mode != zkv1.ClientTLSDisabled {
		ports = append(ports, corev1.ContainerPort{Name: portSecureClient, ContainerPort: podlayout.SecureClientPort})
	}
	return ports
}

// publishedClientPort is the client port a member's server line names (what
// the operator gives a member it adds): the plain port, or the secure one
// when it is the only one (as the server names its own, see
// sessionserver.Config.PublishedClientPort).
func (r render) publishedClientPort() int32 {
	if r.zke.Spec.ClientTLS() == zkv1.ClientTLSRequired {
		return podlayout.SecureClientPort
	}
	return podlayout.ClientPort
}

func (r render) containerPorts() []corev1.ContainerPort {
	return append(r.clientPorts(),
		corev1.ContainerPort{Name: "quorum", ContainerPort: podlayout.QuorumPort},
		corev1.ContainerPort{Name: "election", ContainerPort: podlayout.ElectionPort},
		corev1.ContainerPort{Name: "admin", ContainerPort: podlayout.AdminPort},
		corev1.ContainerPort{Name: "probe", ContainerPort: podlayout.ProbePort},
	)
}

// clientServicePorts: the plain port (spec.clientService.port, 2181 by
// default) and the secure port 2281, as spec.tls.client has them.
func (r render) clientServicePorts() []corev1.ServicePort {
	var ports []corev1.ServicePort
	for _, p := range r.clientPorts() {
		port := p.ContainerPort
		if p.Name == portClient && r.zke.Spec.ClientService.Port != 0 {
			port = r.zke.Spec.ClientService.Port
		}
		ports = append(ports, corev1.ServicePort{Name: p.Name, Port: port, TargetPort: intstr.FromString(p.Name)})
	}
	return ports
}

// addClientSecurity mounts what spec.tls and spec.auth need into the
// server container: the SASL users, cert-manager's certificate, the super
// digest (an environment variable expanded into the --superDigest flag).
func (r render) addClientSecurity(c *corev1.Container) {
	spec := &r.zke.Spec
	if spec.Auth.SASLUsersSecret != "" {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "sasl-users", MountPath: podlayout.SASLUsersDir, ReadOnly: true})
	}
	if spec.ClientTLS() != zkv1.ClientTLSDisabled && spec.TLS.IssuerRef != nil {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "client-tls", MountPath: podlayout.ClientTLSDir, ReadOnly: true})
	}
	if d := spec.Auth.SuperDigest; d != nil {
		c.Env = append(c.Env, corev1.EnvVar{Name: podlayout.EnvSuperDigest, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: d.DeepCopy()}})
		c.Args = append(c.Args, "--superDigest=$("+podlayout.EnvSuperDigest+")")
	}
}

// securityVolumes are the Secrets addClientSecurity mounts, readable by
// the server's group (fsGroup) only.
func (r render) securityVolumes() []corev1.Volume {
	spec := &r.zke.Spec
	var vols []corev1.Volume
	if spec.Auth.SASLUsersSecret != "" {
		vols = append(vols, corev1.Volume{Name: "sasl-users", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: spec.Auth.SASLUsersSecret, DefaultMode: ptr.To(int32(0o440))},
		}})
	}
	if spec.ClientTLS() != zkv1.ClientTLSDisabled && spec.TLS.IssuerRef != nil {
		vols = append(vols, corev1.Volume{Name: "client-tls", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: podlayout.ClientTLSSecret(r.zke.Name), DefaultMode: ptr.To(int32(0o440))},
		}})
	}
	return vols
}

// secureConnectString is the published servers' secure client ports ("" when
// client TLS is off): the members report their plain port when they serve
// both.
func (r render) secureConnectString(addrs []string) string {
	if r.zke.Spec.ClientTLS() == zkv1.ClientTLSDisabled {
		return ""
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		out = append(out, net.JoinHostPort(host, fmt.Sprint(podlayout.SecureClientPort)))
	}
	return strings.Join(out, ",")
}

// caBundle publishes the ensemble CA's certificate (not its key) for
// clients of the secure port: they mount it and verify the members with it.
func (r render) caBundle(caPEM []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.n.caBundle()),
		Data:       map[string]string{podlayout.CAFile: string(caPEM)},
	}
}
