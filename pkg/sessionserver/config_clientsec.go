package sessionserver

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

// ZooKeeper's authentication provider classes (authProvider.N).
const (
	saslProviderClass   = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
	x509ProviderClass   = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"
	digestProviderClass = "org.apache.zookeeper.server.auth.DigestAuthenticationProvider"
	ipProviderClass     = "org.apache.zookeeper.server.auth.IPAuthenticationProvider"
)

// ClientSecurity is TLS and authentication on the client port, with
// ZooKeeper 3.8's keys (see docs/security.md).
type ClientSecurity struct {
	// SecureClientPort serves TLS: -1 off, 0 any free port (tests).
	SecureClientPort        int
	SecureClientPortAddress string
	KeyStore                string // ssl.keyStore.location: PEM key and certificate chain
	TrustStore              string // ssl.trustStore.location: PEM bundle
	ClientAuth              certs.ClientAuth
	MinVersion, MaxVersion  uint16
	CipherSuites            []uint16
	HandshakeTimeout        time.Duration // ssl.handshakeDetectionTimeoutMillis
	// PodFiles are the member's own certificate files (--tls-dir), used
	// when ssl.keyStore.location is not given.
	PodFiles certs.Files

	// Authentication providers registered with authProvider.N.
	SASLProvider, X509Provider bool
	JAASFile                   string // jaasLoginConfig
	SASLUsersDir               string // sasl.usersDir
	SASLSuperUsers             []string
	SASLSuperPassword          string // SASLAuthenticationProvider.superPassword: the password of user "super"
	X509SuperUser              string // X509AuthenticationProvider.superUser
	// EnforceSchemes, when not empty, refuses requests of connections that
	// have no id of these schemes (enforce.auth.enabled/schemes).
	EnforceAuth    bool
	EnforceSchemes []string
}

func defaultClientSecurity() ClientSecurity {
	return ClientSecurity{SecureClientPort: -1, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13, HandshakeTimeout: 5 * time.Second}
}

// TLSFiles are the files the secure client port serves: the keystore, or in
// a pod the member's own certificate (and its CA unless a trust store is given).
func (cs ClientSecurity) TLSFiles() certs.Files {
	if cs.KeyStore != "" {
		return certs.Files{Cert: cs.KeyStore, Key: cs.KeyStore, CA: cs.TrustStore}
	}
	f := cs.PodFiles
	if cs.TrustStore != "" {
		f.CA = cs.TrustStore
	}
	return f
}

// SASLEnabled reports whether SASL users are configured.
func (cs ClientSecurity) SASLEnabled() bool { return cs.JAASFile != "" || cs.SASLUsersDir != "" }

func (cs ClientSecurity) validate() error {
	if cs.SecureClientPort >= 0 {
		f := cs.TLSFiles()
		if f.Cert == "" {
			return fmt.Errorf("secureClientPort needs ssl.keyStore.location (a PEM file with the key and the certificate chain)")
		}
		if cs.ClientAuth != certs.ClientAuthNone && f.CA == "" {
			return fmt.Errorf("ssl.clientAuth=%s (ZooKeeper's default is need) verifies client certificates and needs ssl.trustStore.location; set ssl.clientAuth=none to take clients without certificates", cs.ClientAuth)
		}
	}
	if cs.JAASFile != "" && cs.SASLUsersDir != "" {
		return fmt.Errorf("give SASL users either in jaasLoginConfig or in sasl.usersDir, not both")
	}
	if cs.EnforceAuth {
		if len(cs.EnforceSchemes) == 0 {
			return fmt.Errorf("enforce.auth.enabled is true: enforce.auth.schemes must be configured")
		}
		for _, s := range cs.EnforceSchemes {
			if !cs.providerAvailable(s) {
				return fmt.Errorf("enforce.auth.schemes: authentication scheme %q is not available (register it with authProvider.N)", s)
			}
		}
	}
	return nil
}

func (cs ClientSecurity) providerAvailable(scheme string) bool {
	switch scheme {
	case "digest", "ip":
		return true
	case "sasl":
		return cs.SASLProvider
	case "x509":
		return cs.X509Provider
	}
	return false
}

// setClientSecurity applies the client port's security keys; ok is false
// for other keys. A security key this server does not implement is an error.
func (c *Config) setClientSecurity(key, value string, boolean func(*bool) error) (ok bool, err error) {
	cs := &c.Client
	switch {
	case key == "secureClientPort":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 65535 {
			return true, fmt.Errorf("%s: %q is not a port", key, value)
		}
		cs.SecureClientPort = n
		if n == 0 { // ZooKeeper: 0 is unset
			cs.SecureClientPort = -1
		}
	case key == "secureClientPortAddress":
		cs.SecureClientPortAddress = value
	case key == "ssl.keyStore.location":
		cs.KeyStore = value
	case key == "ssl.trustStore.location":
		cs.TrustStore = value
	case key == "ssl.keyStore.type" || key == "ssl.trustStore.type":
		if !strings.EqualFold(value, "PEM") {
			return true, fmt.Errorf("%s: only PEM stores are supported (got %q): convert a JKS or PKCS12 store with keytool and openssl", key, value)
		}
	case key == "ssl.keyStore.password" || key == "ssl.trustStore.password" ||
		key == "ssl.keyStore.passwordPath" || key == "ssl.trustStore.passwordPath":
		if value != "" {
			return true, fmt.Errorf("%s: encrypted PEM keys are not supported; give the key unencrypted in a file only the server can read", key)
		}
	case key == "ssl.clientAuth":
		a, err := certs.ParseClientAuth(value)
		if err != nil {
			return true, fmt.Errorf("%s: %w", key, err)
		}
		cs.ClientAuth = a
	case key == "ssl.protocol" || key == "ssl.enabledProtocols":
		lo, hi, err := tlsVersions(value)
		if err != nil {
			return true, fmt.Errorf("%s: %w", key, err)
		}
		cs.MinVersion, cs.MaxVersion = lo, hi
	case key == "ssl.ciphersuites":
		ids, err := cipherSuites(value)
		if err != nil {
			return true, fmt.Errorf("%s: %w", key, err)
		}
		cs.CipherSuites = ids
	case key == "ssl.handshakeDetectionTimeoutMillis":
		ms, err := strconv.Atoi(value)
		if err != nil || ms <= 0 {
			return true, fmt.Errorf("%s: %q is not a positive number of milliseconds", key, value)
		}
		cs.HandshakeTimeout = time.Duration(ms) * time.Millisecond
	case key == "ssl.hostnameVerification":
		// The server verifies no client host names on the client port
		// (ZooKeeper's ClientX509Util neither); the key only has to parse.
		var on bool
		return true, boolean(&on)
	case key == "ssl.authProvider":
		if value != "x509" {
			return true, fmt.Errorf("%s: only the x509 provider is supported (got %q)", key, value)
		}
	case strings.HasPrefix(key, "authProvider."):
		switch value {
		case saslProviderClass:
			cs.SASLProvider = true
		case x509ProviderClass:
			cs.X509Provider = true
		case digestProviderClass, ipProviderClass: // built in
		default:
			return true, fmt.Errorf("%s: %q is not supported: this server has the digest, ip, sasl (%s) and x509 (%s) providers", key, value, saslProviderClass, x509ProviderClass)
		}
	case key == "jaasLoginConfig" || key == "java.security.auth.login.config":
		cs.JAASFile = value
	case key == "sasl.usersDir":
		cs.SASLUsersDir = value
	case key == "superUser" || strings.HasPrefix(key, "superUser."):
		if value != "" {
			cs.SASLSuperUsers = append(cs.SASLSuperUsers, value)
		}
	case key == "SASLAuthenticationProvider.superPassword":
		cs.SASLSuperPassword = value
	case key == "X509AuthenticationProvider.superUser" || key == "zookeeper.X509AuthenticationProvider.superUser":
		cs.X509SuperUser = value
	case key == "enforce.auth.enabled":
		return true, boolean(&cs.EnforceAuth)
	case key == "enforce.auth.schemes":
		cs.EnforceSchemes = nil
		for _, s := range strings.Split(value, ",") {
			cs.EnforceSchemes = append(cs.EnforceSchemes, strings.TrimSpace(s))
		}
	case key == "sessionRequireClientSASLAuth":
		var on bool
		if err := boolean(&on); err != nil {
			return true, err
		}
		if on {
			cs.EnforceAuth, cs.EnforceSchemes = true, []string{"sasl"}
		}
	default:
		if why := unsupportedSecurityKey(key, value); why != "" {
			return true, fmt.Errorf("%s is not supported by this server: %s", key, why)
		}
		return false, nil
	}
	return true, nil
}

// unsupportedSecurityKey says why a security key this server does not
// implement is refused ("" for a key that is not about security, or that
// asks for nothing: a false flag).
func unsupportedSecurityKey(key, value string) string {
	off := strings.EqualFold(value, "false") || strings.EqualFold(value, "no")
	switch {
	case key == "ssl.crl" || key == "ssl.ocsp" || key == "ssl.quorum.crl" || key == "ssl.quorum.ocsp":
		if off {
			return ""
		}
		return "certificate revocation checking is not implemented; keep CRLs short-lived by rotating certificates"
	case key == "client.portUnification" || key == "portUnification" || key == "sslQuorumReloadCertFiles":
		if off || key == "sslQuorumReloadCertFiles" {
			return "" // reloading is always on
		}
		return "TLS and plain clients on one port is not implemented; use secureClientPort beside clientPort"
	case key == "quorum.auth.enableSasl" || key == "quorum.auth.learnerRequireSasl" || key == "quorum.auth.serverRequireSasl" || key == "allowSaslFailedClients":
		if off {
			return ""
		}
		return "use sslQuorum (member TLS) or quorum.auth.secretFile for members, and enforce.auth.schemes for clients"
	case strings.HasPrefix(key, "kerberos.") || strings.HasPrefix(key, "quorum.auth.kerberos"):
		return "Kerberos (GSSAPI) is not implemented; SASL here is DIGEST-MD5"
	case strings.HasPrefix(key, "ssl.quorum."):
		return "member TLS takes ssl.quorum.keyStore/trustStore (PEM) and ssl.quorum.hostnameVerification only"
	case strings.HasPrefix(key, "ssl.") || strings.HasPrefix(key, "sasl.") || strings.HasPrefix(key, "zookeeper.ssl.") ||
		strings.HasPrefix(key, "quorum.auth.") || strings.HasPrefix(key, "X509AuthenticationProvider.") ||
		strings.HasPrefix(key, "SASLAuthenticationProvider.") || strings.HasPrefix(key, "DigestAuthenticationProvider.") ||
		strings.HasPrefix(key, "enforce.auth.") || key == "letAnySaslUserDoX" || key == "zookeeper.authProvider" ||
		strings.HasPrefix(key, "zookeeper.authProvider."):
		return "see docs/security.md for the keys this server takes"
	}
	return ""
}

// tlsVersions reads ssl.protocol or ssl.enabledProtocols: TLSv1.2 and
// TLSv1.3 only (TLS means both); older protocols are refused.
func tlsVersions(value string) (lo, hi uint16, err error) {
	for _, p := range strings.Split(value, ",") {
		var a, b uint16
		switch strings.TrimSpace(p) {
		case "TLSv1.2":
			a, b = tls.VersionTLS12, tls.VersionTLS12
		case "TLSv1.3":
			a, b = tls.VersionTLS13, tls.VersionTLS13
		case "TLS":
			a, b = tls.VersionTLS12, tls.VersionTLS13
		default:
			return 0, 0, fmt.Errorf("%q is refused: only TLSv1.2 and TLSv1.3", strings.TrimSpace(p))
		}
		if lo == 0 || a < lo {
			lo = a
		}
		if b > hi {
			hi = b
		}
	}
	return lo, hi, nil
}

// cipherSuites maps IANA names (as Java takes them) to Go's secure suites.
// TLS 1.3's suites are accepted and always on (Go does not configure them).
func cipherSuites(value string) ([]uint16, error) {
	byName := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		byName[s.Name] = s.ID
	}
	var out []uint16
	for _, n := range strings.Split(value, ",") {
		n = strings.TrimSpace(n)
		id, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%q is not a cipher suite this server accepts (secure suites only: %s)", n, secureSuiteNames())
		}
		if id < 0x1300 || id > 0x13ff { // TLS 1.3 suites are not configurable
			out = append(out, id)
		}
	}
	return out, nil
}

func secureSuiteNames() string {
	var names []string
	for _, s := range tls.CipherSuites() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
