package v1alpha1

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// configKey is what a zoo.cfg key may look like in extraConfig: no
// separator ('=', ':', white space) and no line break, so a key can never
// end early and set another.
var configKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// saslUser is a SASL user name as spec.auth.superUsers takes it.
var saslUser = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)

// SecurityConfigField names the spec field that sets a security key of
// zoo.cfg ("" for other keys): such keys are refused in extraConfig, where
// they would turn security on or off behind the operator's back.
func SecurityConfigField(key string) string {
	hasPrefix := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(key, "ssl.quorum."):
		return "" // member TLS: an operator-owned key (IsOwnedConfigKey)
	case hasPrefix("ssl.", "secureClientPort", "zookeeper.ssl.") || key == "client.secure":
		return "spec.tls"
	case hasPrefix("authProvider.", "zookeeper.authProvider.", "sasl.", "enforce.auth.", "superUser", "java.security.auth.",
		"SASLAuthenticationProvider.", "X509AuthenticationProvider.", "zookeeper.X509AuthenticationProvider.",
		"zookeeper.DigestAuthenticationProvider.", "quorum.auth.", "kerberos."),
		key == "jaasLoginConfig", key == "superDigest", key == "sessionRequireClientSASLAuth":
		return "spec.auth"
	}
	return ""
}

// validateExtraConfig refuses keys the operator owns, security keys (with
// the spec field to use instead), and keys or values that would change the
// meaning of zoo.cfg's lines.
func (s *ZKEnsembleSpec) validateExtraConfig() (errs field.ErrorList) {
	path := field.NewPath("spec", "extraConfig")
	keys := make([]string, 0, len(s.ExtraConfig))
	for k := range s.ExtraConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.ExtraConfig[k]
		switch {
		case !configKey.MatchString(k):
			errs = append(errs, field.Invalid(path, k, "extraConfig keys are zoo.cfg keys: letters, digits, '.', '_' and '-' only (no '=', ':', spaces or newlines)"))
		case SecurityConfigField(k) != "":
			errs = append(errs, field.Forbidden(path.Key(k),
				fmt.Sprintf("%s is a security key the operator sets: use %s instead", k, SecurityConfigField(k))))
		case IsOwnedConfigKey(k):
			errs = append(errs, field.Forbidden(path.Key(k),
				fmt.Sprintf("%s is set by the operator: use the spec field for it, or remove the key (membership lives in the ensemble, not in server.N lines)", k)))
		case strings.ContainsAny(v, "\n\r") || strings.HasSuffix(v, `\`):
			errs = append(errs, field.Invalid(path.Key(k), v, "extraConfig values are single lines: no newline, no carriage return, no trailing backslash"))
		}
	}
	return errs
}

// validateSecurity checks spec.tls and spec.auth together.
func (s *ZKEnsembleSpec) validateSecurity() (errs field.ErrorList, warnings []string) {
	tls, auth := field.NewPath("spec", "tls"), field.NewPath("spec", "auth")
	on := s.ClientTLS() != ClientTLSDisabled
	if !on && s.TLS.ClientAuth != "" && s.TLS.ClientAuth != ClientCertNone {
		errs = append(errs, field.Invalid(tls.Child("clientAuth"), s.TLS.ClientAuth, "tls.clientAuth asks for client certificates on the secure port: set tls.client to Optional or Required"))
	}
	if !on && s.TLS.IssuerRef != nil {
		errs = append(errs, field.Invalid(tls.Child("issuerRef"), s.TLS.IssuerRef.Name, "tls.issuerRef issues the secure client port's certificate: set tls.client to Optional or Required"))
	}
	if len(s.Auth.SuperUsers) > 0 && s.Auth.SASLUsersSecret == "" {
		errs = append(errs, field.Required(auth.Child("saslUsersSecret"), "auth.superUsers names SASL users: set auth.saslUsersSecret"))
	}
	for i, u := range s.Auth.SuperUsers {
		if !saslUser.MatchString(u) {
			errs = append(errs, field.Invalid(auth.Child("superUsers").Index(i), u, "a SASL user name: letters, digits, '.', '_', '@' and '-'"))
		}
	}
	if d := s.Auth.SuperDigest; d != nil && (d.Name == "" || d.Key == "") {
		errs = append(errs, field.Required(auth.Child("superDigest"), "name the Secret and the key that hold the super user's digest"))
	}
	for i, scheme := range s.Auth.Required {
		p := auth.Child("required").Index(i)
		switch scheme {
		case "sasl":
			if s.Auth.SASLUsersSecret == "" {
				errs = append(errs, field.Invalid(p, scheme, "requiring sasl needs users: set auth.saslUsersSecret"))
			}
		case "x509":
			if !on || s.TLS.ClientAuth == "" || s.TLS.ClientAuth == ClientCertNone {
				errs = append(errs, field.Invalid(p, scheme, "requiring x509 needs client certificates: set tls.client to Optional or Required and tls.clientAuth to Want or Need"))
			}
		default:
			errs = append(errs, field.NotSupported(p, scheme, []string{"sasl", "x509"}))
		}
	}
	if s.ClientTLS() == ClientTLSOptional && s.Auth.SASLUsersSecret != "" {
		warnings = append(warnings, "tls.client is Optional: the plain port 2181 stays open, and what crosses it (data, the SASL exchange) is not encrypted; Required serves the secure port only")
	}
	return errs, warnings
}

// ExtraConfigUsable reports whether an extraConfig entry may go into
// zoo.cfg: the rules above, checked again where the file is written (an
// object stored while the webhook was down, or from before a rule existed,
// must not set what the rules forbid).
func ExtraConfigUsable(key, value string) bool {
	return configKey.MatchString(key) && !IsOwnedConfigKey(key) && SecurityConfigField(key) == "" &&
		!strings.ContainsAny(value, "\n\r") && !strings.HasSuffix(value, `\`)
}
