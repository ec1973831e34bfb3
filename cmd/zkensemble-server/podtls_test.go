package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// In a pod, secureClientPort without ssl.keyStore.location serves the
// member's own certificate and trusts its CA; the member's server line
// names the secure port when it is the only client port.
func TestPodSecureClientPort(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name, cfg string
		wantLine  string
		wantCA    string
	}{
		{name: "secure only", cfg: "secureClientPort=2281\nssl.clientAuth=none\n", wantLine: ";zk-1.zk-peers.ns.svc:2281", wantCA: "/etc/zkensemble/tls/ca.crt"},
		{name: "both ports", cfg: "clientPort=2181\nsecureClientPort=2281\n", wantLine: ";zk-1.zk-peers.ns.svc:2181", wantCA: "/etc/zkensemble/tls/ca.crt"},
		{name: "own trust store", cfg: "secureClientPort=2281\nssl.trustStore.location=/clients-ca.pem\n", wantLine: ":2281", wantCA: "/clients-ca.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			boot := filepath.Join(dir, "bootstrap")
			if err := os.WriteFile(boot, []byte("1,2"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := sessionserver.DefaultConfig()
			if err := cfg.Parse(strings.NewReader("dataDir="+filepath.Join(dir, "data")+"\n"+tc.cfg), "zoo.cfg"); err != nil {
				t.Fatal(err)
			}
			flags := memberFlags{ensembleID: "uid-1", podDomain: "zk-peers.ns.svc", bootstrapFile: boot, tlsDir: podlayout.TLSDir, hostname: "zk-1"}
			if err := podMember(&cfg, &flags, logger); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			f := cfg.Client.TLSFiles()
			if f.Cert != "/etc/zkensemble/tls/member-2.crt" || f.Key != "/etc/zkensemble/tls/member-2.key" || f.CA != tc.wantCA {
				t.Fatalf("client port files %+v", f)
			}
			if line := cfg.Servers[2]; !strings.HasSuffix(line, tc.wantLine) {
				t.Fatalf("server line %q, want it to end in %q", line, tc.wantLine)
			}
		})
	}
}
