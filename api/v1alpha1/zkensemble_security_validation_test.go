package v1alpha1

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestValidateSecurity: security keys in extraConfig are refused with the
// spec field to use; keys and values that would change zoo.cfg's lines are
// refused; spec.tls and spec.auth are consistent.
func TestValidateSecurity(t *testing.T) {
	base := func(mut func(s *ZKEnsembleSpec)) ZKEnsembleSpec {
		s := ZKEnsembleSpec{Replicas: 3, TickTime: 2000}
		mut(&s)
		return s
	}
	extra := func(k, v string) ZKEnsembleSpec {
		return base(func(s *ZKEnsembleSpec) { s.ExtraConfig = map[string]string{k: v} })
	}
	tests := []struct {
		name    string
		spec    ZKEnsembleSpec
		wantErr string // substring of the errors, "" for valid
	}{
		{"an ordinary key", extra("globalOutstandingLimit", "2000"), ""},
		{"a value with = and :", extra("audit.enable", "a=b:c"), ""},
		{"secureClientPort", extra("secureClientPort", "2281"), "secureClientPort is a security key the operator sets: use spec.tls"},
		{"ssl key", extra("ssl.clientAuth", "none"), "use spec.tls"},
		{"ssl.quorum key stays operator-owned", extra("ssl.quorum.keyStore.location", "/x"), "is set by the operator"},
		{"authProvider", extra("authProvider.1", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"), "use spec.auth"},
		{"sasl users", extra("sasl.usersDir", "/tmp"), "use spec.auth"},
		{"enforce.auth", extra("enforce.auth.enabled", "false"), "use spec.auth"},
		{"superDigest", extra("superDigest", "super:x"), "use spec.auth"},
		{"jaas", extra("jaasLoginConfig", "/x"), "use spec.auth"},
		{"superUser", extra("superUser", "alice"), "use spec.auth"},
		{"newline in a value sets an owned key", extra("globalOutstandingLimit", "1\nclientPort=1"), "single lines"},
		{"carriage return", extra("globalOutstandingLimit", "1\rx"), "single lines"},
		{"trailing backslash continues the line", extra("globalOutstandingLimit", `1\`), "single lines"},
		{"= in a key", extra("a=b", "c"), "letters, digits"},
		{": in a key", extra("a:b", "c"), "letters, digits"},
		{"newline in a key", extra("a\nclientPort", "1"), "letters, digits"},
		{"TLS required with need", base(func(s *ZKEnsembleSpec) { s.TLS = TLSSpec{Client: ClientTLSRequired, ClientAuth: ClientCertNeed} }), ""},
		{"client certificates without TLS", base(func(s *ZKEnsembleSpec) { s.TLS.ClientAuth = ClientCertWant }), "set tls.client to Optional or Required"},
		{"issuer without TLS", base(func(s *ZKEnsembleSpec) { s.TLS.IssuerRef = &IssuerRef{Name: "ca"} }), "set tls.client to Optional or Required"},
		{"sasl required without users", base(func(s *ZKEnsembleSpec) { s.Auth.Required = []AuthScheme{"sasl"} }), "set auth.saslUsersSecret"},
		{"x509 required without client certificates", base(func(s *ZKEnsembleSpec) {
			s.TLS.Client = ClientTLSRequired
			s.Auth.Required = []AuthScheme{"x509"}
		}), "tls.clientAuth to Want or Need"},
		{"super users without users", base(func(s *ZKEnsembleSpec) { s.Auth.SuperUsers = []string{"admin"} }), "set auth.saslUsersSecret"},
		{"a super user name that breaks a line", base(func(s *ZKEnsembleSpec) {
			s.Auth.SASLUsersSecret = "users"
			s.Auth.SuperUsers = []string{"admin\nclientPort=1"}
		}), "a SASL user name"},
		{"super digest without a key", base(func(s *ZKEnsembleSpec) {
			s.Auth.SuperDigest = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}
		}), "name the Secret and the key"},
		{"sasl and x509 required", base(func(s *ZKEnsembleSpec) {
			s.TLS = TLSSpec{Client: ClientTLSRequired, ClientAuth: ClientCertWant}
			s.Auth = AuthSpec{SASLUsersSecret: "users", SuperUsers: []string{"admin"}, Required: []AuthScheme{"sasl", "x509"}}
		}), ""},
	}
	for _, tc := range tests {
		errs, _ := tc.spec.Validate()
		switch {
		case tc.wantErr == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", tc.name, errs)
		case tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr)):
			t.Errorf("%s: got %v, want %q", tc.name, errs, tc.wantErr)
		}
	}
	optional := base(func(s *ZKEnsembleSpec) {
		s.TLS.Client = ClientTLSOptional
		s.Auth.SASLUsersSecret = "users"
	})
	_, warnings := optional.Validate()
	if len(warnings) == 0 || !strings.Contains(warnings[0], "plain port 2181 stays open") {
		t.Errorf("Optional TLS with SASL: warnings %v", warnings)
	}
}

// TestExtraConfigUsable: what the operator writes into zoo.cfg obeys the
// same rules even when the webhook did not see the object.
func TestExtraConfigUsable(t *testing.T) {
	for _, tc := range []struct {
		k, v string
		ok   bool
	}{
		{"globalOutstandingLimit", "2000", true},
		{"globalOutstandingLimit", "1\nclientPort=1", false},
		{"clientPort", "1", false},
		{"ssl.clientAuth", "none", false},
		{"enforce.auth.enabled", "false", false},
		{"a b", "c", false},
	} {
		if got := ExtraConfigUsable(tc.k, tc.v); got != tc.ok {
			t.Errorf("ExtraConfigUsable(%q, %q) = %v", tc.k, tc.v, got)
		}
	}
}

// TestValidateUpdateTLS: the secure-only mode is chosen at creation.
func TestValidateUpdateTLS(t *testing.T) {
	for _, tc := range []struct {
		from, to ClientTLSMode
		ok       bool
	}{
		{"", ClientTLSOptional, true},
		{ClientTLSOptional, ClientTLSDisabled, true},
		{ClientTLSDisabled, ClientTLSRequired, false},
		{ClientTLSOptional, ClientTLSRequired, false},
		{ClientTLSRequired, ClientTLSOptional, false},
		{ClientTLSRequired, ClientTLSRequired, true},
	} {
		old := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, TLS: TLSSpec{Client: tc.from}}
		cur := ZKEnsembleSpec{Replicas: 3, TickTime: 2000, TLS: TLSSpec{Client: tc.to}}
		errs, _ := cur.ValidateUpdate(&old)
		if (len(errs) == 0) != tc.ok {
			t.Errorf("%q → %q: %v", tc.from, tc.to, errs)
		}
	}
}
