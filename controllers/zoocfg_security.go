package controllers

import (
	"fmt"
	"strings"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// ZooKeeper's authentication provider classes, as zoo.cfg names them.
const (
	saslProvider = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
	x509Provider = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"
)

// setClientSecurity adds the client port's TLS and authentication keys for
// spec.tls and spec.auth, in ZooKeeper 3.8's terms (docs/security.md).
// Secrets never go into zoo.cfg (a ConfigMap): SASL users are a mounted
// directory, the super digest an environment variable.
func setClientSecurity(kv map[string]string, spec *zkv1.ZKEnsembleSpec) {
	mode := spec.ClientTLS()
	if mode != zkv1.ClientTLSDisabled {
		kv["secureClientPort"] = fmt.Sprint(podlayout.SecureClientPort)
		if mode == zkv1.ClientTLSRequired {
			delete(kv, "clientPort") // TLS only, as ZooKeeper without clientPort
		}
		kv["ssl.clientAuth"] = strings.ToLower(string(orDefaultAuth(spec.TLS.ClientAuth)))
		// A client that presents a certificate is disconnected unless the
		// x509 provider is registered (as in ZooKeeper): always register it.
		kv["authProvider.2"] = x509Provider
		if spec.TLS.IssuerRef != nil {
			// cert-manager's Secret; without it, in pod mode, the members' own
			// certificates and the ensemble's CA serve the secure port.
			kv["ssl.keyStore.location"] = podlayout.ClientTLSDir + "/" + podlayout.ClientTLSCombinedFile
			kv["ssl.keyStore.type"] = "PEM"
			kv["ssl.trustStore.location"] = podlayout.ClientTLSDir + "/" + podlayout.ClientTLSCAFile
			kv["ssl.trustStore.type"] = "PEM"
		}
	}
	auth := &spec.Auth
	if auth.SASLUsersSecret != "" {
		kv["authProvider.1"] = saslProvider
		kv["sasl.usersDir"] = podlayout.SASLUsersDir
		for i, u := range auth.SuperUsers {
			kv[fmt.Sprintf("superUser.%d", i+1)] = u
		}
	}
	if len(auth.Required) > 0 {
		schemes := make([]string, len(auth.Required))
		for i, s := range auth.Required {
			schemes[i] = string(s)
		}
		kv["enforce.auth.enabled"] = "true"
		kv["enforce.auth.schemes"] = strings.Join(schemes, ",")
	}
}

func orDefaultAuth(a zkv1.ClientCertAuth) zkv1.ClientCertAuth {
	if a == "" {
		return zkv1.ClientCertNone
	}
	return a
}
