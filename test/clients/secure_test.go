package clients

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// TestRealClientsSecure runs zkCli.sh, kazoo and go-zookeeper over TLS and
// SASL DIGEST-MD5 against ZooKeeper 3.8 and our server, both given the same
// zoo.cfg keys: a secure port asking for client certificates, the sasl and
// x509 providers, and enforce.auth.schemes=sasl,x509 (a client without
// either is refused). Debian's C client is built without TLS and SASL.
func TestRealClientsSecure(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	pki := refzk.NewPKI(t)
	opts := refzk.Options{Client: &refzk.ClientSecurity{
		TLS: pki, ClientAuth: "want", SASLUsers: map[string]string{"alice": "alice-pw"},
		SASLProvider: true, X509Provider: true, EnforceSchemes: "sasl,x509",
	}}
	servers := map[string]*refzk.Server{
		"zookeeper":  refzk.StartStandalone(t, opts),
		"zkensemble": refzk.StartOurs(t, refzk.BuildOurs(t), opts),
	}
	zkcliCert := pki.Client(t, &pkix.Name{CommonName: "zkcli", Organization: []string{"tests"}})
	kazooCert := pki.Client(t, &pkix.Name{CommonName: "kazoo"})
	gozkCert := pki.Client(t, &pkix.Name{CommonName: "go-zookeeper"})
	outputs := map[string]map[string]string{}
	for _, name := range []string{"zookeeper", "zkensemble"} {
		srv := servers[name]
		outputs[name] = map[string]string{}
		run := func(t *testing.T, need string, argv ...string) string {
			if _, err := os.Stat(need); err != nil {
				t.Fatalf("%s is not installed (run hack/install-deps.sh): %v", need, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			t.Logf("%s", out)
			return string(out)
		}
		t.Run("zkCli.sh against "+name, func(t *testing.T) {
			outputs[name]["zkCli"] = run(t, refzk.ZkCli, "bash", "zkcli_secure_check.sh", srv.SecureAddr, srv.Addr, zkcliCert.CA, zkcliCert.KeyStore)
		})
		t.Run("kazoo against "+name, func(t *testing.T) {
			outputs[name]["kazoo"] = run(t, "/usr/lib/python3/dist-packages/puresasl", "/usr/bin/python3", "kazoo_secure_check.py",
				srv.Addr, srv.SecureAddr, kazooCert.CA, kazooCert.Cert, kazooCert.Key)
		})
		t.Run("go-zookeeper against "+name, func(t *testing.T) {
			outputs[name]["go-zookeeper"] = goZookeeperTLS(t, srv.SecureAddr, gozkCert.TLS, pki.Client(t, nil).TLS)
		})
	}
	for _, c := range []string{"zkCli", "kazoo", "go-zookeeper"} {
		if a, b := idLines(outputs["zookeeper"][c]), idLines(outputs["zkensemble"][c]); a != b {
			t.Errorf("%s: the servers name the client differently:\nzookeeper:\n%s\nours:\n%s", c, a, b)
		}
	}
}

// idLines keeps the lines that list a client's ids.
func idLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "whoami") || strings.HasPrefix(l, "sasl: ") || strings.HasPrefix(l, "x509: ") || strings.HasPrefix(l, "ip: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// goZookeeperTLS connects go-zookeeper through a TLS dialer: with a client
// certificate (an x509 id, a required scheme) it writes; without one it is
// refused.
func goZookeeperTLS(t *testing.T, addr string, withCert, withoutCert *tls.Config) string {
	dialer := func(cfg *tls.Config) zk.Dialer {
		return func(network, address string, timeout time.Duration) (net.Conn, error) {
			c := cfg.Clone()
			c.ServerName = "localhost"
			return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, c)
		}
	}
	conn, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithDialer(dialer(withCert)), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acl := zk.WorldACL(zk.PermAll)
	if _, err := conn.Create("/gozk-tls", []byte("x"), 0, acl); err != nil {
		t.Fatalf("create over TLS: %v", err)
	}
	if err := conn.Delete("/gozk-tls", -1); err != nil {
		t.Fatal(err)
	}
	anon, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithDialer(dialer(withoutCert)), zk.WithLogInfo(false), zk.WithMaxConnBufferSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, _, err = anon.Get("/")
	if err == nil {
		t.Fatal("a client without credentials read")
	}
	return "go-zookeeper without a certificate: " + err.Error()
}
