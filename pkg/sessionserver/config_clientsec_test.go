package sessionserver

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/certs"
)

func TestClientSecurityKeys(t *testing.T) {
	const stores = "secureClientPort=2281\nssl.keyStore.location=/k.pem\nssl.keyStore.type=PEM\nssl.trustStore.location=/ca.pem\nssl.trustStore.type=PEM\n"
	tests := []struct {
		name, cfg string
		wantErr   string
		check     func(t *testing.T, c Config)
		extra     int // keys kept as unused (logged): flags that ask for nothing
	}{
		{name: "ZooKeeper's TLS keys", cfg: stores + "ssl.clientAuth=want\nssl.protocol=TLSv1.2\nssl.ciphersuites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256\n",
			check: func(t *testing.T, c Config) {
				cs := c.Client
				if cs.SecureClientPort != 2281 || cs.ClientAuth != certs.ClientAuthWant || cs.MinVersion != tls.VersionTLS12 || cs.MaxVersion != tls.VersionTLS12 ||
					len(cs.CipherSuites) != 1 || cs.CipherSuites[0] != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
					t.Fatalf("%+v", cs)
				}
				if c.ClientPort != -1 {
					t.Fatalf("without clientPort the plain port must be off, got %d", c.ClientPort)
				}
			}},
		{name: "both ports", cfg: stores + "clientPort=2181\n", check: func(t *testing.T, c Config) {
			if c.ClientPort != 2181 || c.Client.SecureClientPort != 2281 || c.Client.ClientAuth != certs.ClientAuthNeed {
				t.Fatalf("%d %d %v", c.ClientPort, c.Client.SecureClientPort, c.Client.ClientAuth)
			}
		}},
		{name: "plain only by default", cfg: "", check: func(t *testing.T, c Config) {
			if c.ClientPort != 2181 || c.Client.SecureClientPort != -1 {
				t.Fatalf("%d %d", c.ClientPort, c.Client.SecureClientPort)
			}
		}},
		{name: "SASL and x509 providers, required schemes", cfg: "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n" +
			"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider\nsasl.usersDir=/users\nenforce.auth.enabled=true\nenforce.auth.schemes=sasl, x509\n",
			check: func(t *testing.T, c Config) {
				cs := c.Client
				if !cs.SASLProvider || !cs.X509Provider || cs.SASLUsersDir != "/users" || !cs.EnforceAuth || strings.Join(cs.EnforceSchemes, ",") != "sasl,x509" {
					t.Fatalf("%+v", cs)
				}
			}},
		{name: "sessionRequireClientSASLAuth", cfg: "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\nsessionRequireClientSASLAuth=true\n",
			check: func(t *testing.T, c Config) {
				if !c.Client.EnforceAuth || c.Client.EnforceSchemes[0] != "sasl" {
					t.Fatalf("%+v", c.Client)
				}
			}},
		{name: "need without a trust store", cfg: "secureClientPort=2281\nssl.keyStore.location=/k.pem\n", wantErr: "needs ssl.trustStore.location"},
		{name: "no key store", cfg: "secureClientPort=2281\nssl.clientAuth=none\n", wantErr: "needs ssl.keyStore.location"},
		{name: "JKS", cfg: "ssl.keyStore.type=JKS\n", wantErr: "only PEM"},
		{name: "encrypted key", cfg: "ssl.keyStore.password=x\n", wantErr: "encrypted PEM keys"},
		{name: "TLS 1.1", cfg: "ssl.enabledProtocols=TLSv1.1,TLSv1.2\n", wantErr: "only TLSv1.2 and TLSv1.3"},
		{name: "insecure cipher", cfg: "ssl.ciphersuites=TLS_RSA_WITH_RC4_128_SHA\n", wantErr: "secure suites only"},
		{name: "bad clientAuth", cfg: "ssl.clientAuth=maybe\n", wantErr: "none, want or need"},
		{name: "custom provider", cfg: "authProvider.1=com.example.MyProvider\n", wantErr: "is not supported"},
		{name: "enforce without schemes", cfg: "enforce.auth.enabled=true\n", wantErr: "enforce.auth.schemes must be configured"},
		{name: "enforce a scheme without provider", cfg: "enforce.auth.enabled=true\nenforce.auth.schemes=sasl\n", wantErr: `"sasl" is not available`},
		{name: "two user sources", cfg: "jaasLoginConfig=/j\nsasl.usersDir=/d\n", wantErr: "not both"},
		{name: "kerberos", cfg: "kerberos.removeRealmFromPrincipal=true\n", wantErr: "Kerberos"},
		{name: "revocation", cfg: "ssl.crl=true\n", wantErr: "revocation"},
		{name: "port unification", cfg: "client.portUnification=true\n", wantErr: "one port"},
		{name: "unknown ssl key", cfg: "ssl.context.supplier.class=x\n", wantErr: "not supported"},
		{name: "unknown quorum ssl key", cfg: "ssl.quorum.ciphersuites=x\n", wantErr: "member TLS takes"},
		{name: "quorum SASL", cfg: "quorum.auth.enableSasl=true\n", wantErr: "not supported"},
		{name: "quorum SASL off is harmless", cfg: "quorum.auth.enableSasl=false\nssl.ocsp=false\n", extra: 2},
		{name: "no port at all", cfg: "clientPort=0\n", wantErr: "no client port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			err := c.Parse(strings.NewReader(tc.cfg), "zoo.cfg")
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Extra) != tc.extra {
				t.Fatalf("security keys left uninterpreted: %v", c.Extra)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
