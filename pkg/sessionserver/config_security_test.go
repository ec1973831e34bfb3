package sessionserver

import (
	"strings"
	"testing"
)

func TestQuorumTLSKeys(t *testing.T) {
	tests := []struct {
		name, cfg string
		wantErr   string
		wantCert  string
		wantHost  bool
	}{
		{name: "off by default", cfg: "", wantHost: true},
		{name: "PEM stores", cfg: "sslQuorum=true\nssl.quorum.keyStore.location=/k.pem\nssl.quorum.keyStore.type=PEM\nssl.quorum.trustStore.location=/ca.pem\nssl.quorum.trustStore.type=pem\n", wantCert: "/k.pem", wantHost: true},
		{name: "no hostname verification", cfg: "sslQuorum=true\nssl.quorum.keyStore.location=/k.pem\nssl.quorum.trustStore.location=/ca.pem\nssl.quorum.hostnameVerification=false\n", wantCert: "/k.pem"},
		{name: "JKS refused", cfg: "ssl.quorum.keyStore.type=JKS\n", wantErr: "only PEM"},
		{name: "encrypted key refused", cfg: "ssl.quorum.keyStore.password=secret\n", wantErr: "encrypted PEM keys are not supported"},
		{name: "stores missing", cfg: "sslQuorum=true\n", wantErr: "needs ssl.quorum.keyStore.location"},
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
			f := c.QuorumTLS.CertFiles()
			if f.Cert != tc.wantCert || f.Key != tc.wantCert || c.QuorumTLS.HostnameVerification != tc.wantHost || len(c.Extra) != 0 {
				t.Fatalf("files %+v, hostname verification %v, extra %v", f, c.QuorumTLS.HostnameVerification, c.Extra)
			}
		})
	}
}
