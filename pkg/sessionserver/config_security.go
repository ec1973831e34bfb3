package sessionserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// QuorumTLS is member-to-member TLS as ZooKeeper configures it: sslQuorum and
// the ssl.quorum.* keystore and truststore, PEM only (a PEM keystore holds the
// key and the certificate chain in one file).
type QuorumTLS struct {
	Enabled              bool   // sslQuorum
	KeyStore             string // ssl.quorum.keyStore.location
	TrustStore           string // ssl.quorum.trustStore.location
	HostnameVerification bool   // ssl.quorum.hostnameVerification (default true)
	// Files, when set, name the certificate files directly (the pod mode's
	// --tls-dir); they take precedence over the keystore keys.
	Files certs.Files
}

// CertFiles are the files member TLS uses; empty when it is off.
func (q QuorumTLS) CertFiles() certs.Files {
	switch {
	case q.Files.Enabled():
		return q.Files
	case q.Enabled:
		return certs.Files{Cert: q.KeyStore, Key: q.KeyStore, CA: q.TrustStore}
	}
	return certs.Files{}
}

func (q QuorumTLS) validate() error {
	if q.Enabled && (q.KeyStore == "" || q.TrustStore == "") && !q.Files.Enabled() {
		return fmt.Errorf("sslQuorum=true needs ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (PEM files)")
	}
	return nil
}

// setSecurity applies the security keys; ok is false for other keys.
func (c *Config) setSecurity(key, value string, boolean func(*bool) error) (ok bool, err error) {
	switch key {
	case "admin.tokenFile":
		c.AdminTokenFile = value
		return true, nil
	case "metricsProvider.httpHost":
		c.ProbeAddress = value
		return true, nil
	case "metricsProvider.httpPort":
		n, err := strconv.Atoi(value)
		if err != nil || n < -1 || n > 65535 {
			return true, fmt.Errorf("%s: %q is not a port", key, value)
		}
		c.ProbePort = n
		return true, nil
	}
	q := &c.QuorumTLS
	pemOnly := func() error {
		if !strings.EqualFold(value, "PEM") {
			return fmt.Errorf("%s: only PEM stores are supported (got %q): convert a JKS or PKCS12 store with keytool and openssl", key, value)
		}
		return nil
	}
	switch key {
	case "sslQuorum":
		return true, boolean(&q.Enabled)
	case "ssl.quorum.keyStore.location":
		q.KeyStore = value
	case "ssl.quorum.trustStore.location":
		q.TrustStore = value
	case "ssl.quorum.keyStore.type", "ssl.quorum.trustStore.type":
		return true, pemOnly()
	case "ssl.quorum.keyStore.password", "ssl.quorum.trustStore.password":
		if value != "" {
			return true, fmt.Errorf("%s: encrypted PEM keys are not supported; give the key unencrypted in a file only the server can read", key)
		}
	case "ssl.quorum.hostnameVerification":
		return true, boolean(&q.HostnameVerification)
	case "quorum.auth.secretFile":
		c.QuorumSecretFile = value
	default:
		return false, nil
	}
	return true, nil
}
