package sessionserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
)

// recorder stands where pkg/ensemble's membership API is mounted: it counts
// the requests that reached it, so a refused request is shown to change nothing.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	fmt.Fprintln(w, `{"done":true}`)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// testCA writes member 1's certificate of ensemble "ens" under a new CA.
type testCA struct {
	ca    *certs.CA
	files certs.Files
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	ca, err := certs.NewCA("test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaf := issue(t, ca, certs.Member("ens", 1))
	f := certs.Files{Cert: filepath.Join(dir, "m1.crt"), Key: filepath.Join(dir, "m1.key"), CA: filepath.Join(dir, "ca.crt")}
	for path, b := range map[string][]byte{f.Cert: leaf.CertPEM, f.Key: leaf.KeyPEM, f.CA: ca.CertPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &testCA{ca: ca, files: f}
}

func issue(t *testing.T, ca *certs.CA, id certs.Identity) *certs.Leaf {
	t.Helper()
	l, err := ca.Issue(id, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// clientWith is an HTTPS client trusting tc's CA and presenting a
// certificate of ca naming id (none when ca is nil).
func (tc *testCA) clientWith(t *testing.T, ca *certs.CA, id certs.Identity) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(tc.ca.Cert)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if ca != nil {
		l := issue(t, ca, id)
		pair, err := tls.X509KeyPair(l.CertPEM, l.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return adminapi.Credentials{TLS: cfg}.HTTPClient()
}

func writeToken(t *testing.T, path, tok string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil { // as a Secret volume swaps its files
		t.Fatal(err)
	}
}

var (
	protectedPaths = []string{"/v1/sessions", "/v1/status", "/v1/members", "/v1/leader/transfer", "/commands/cons", "/commands/connections",
		"/commands/dump", "/commands/stat", "/commands/stats", "/commands/wchc", "/commands/wchp", "/commands/watches_by_path",
		"/commands/nosuch", "/commands/ruok/", "/debug/partition", "/unknown"}
	publicProbePaths = []string{"/healthz", "/readyz", "/metrics", "/commands/ruok", "/commands/srvr", "/commands/mntr",
		"/commands/conf", "/commands/envi", "/commands/isro", "/commands/wchs"}
)

// TestAdminAuthorization: over HTTPS with the member's certificates and a
// token file, each protected endpoint answers only the operator's
// certificate (or one made by hand under the CA, without a zkensemble
// identity) and the right token; no credentials get 401, wrong ones 403,
// and a refused request never reaches the handler. The probes, Prometheus
// and the AdminServer commands without session ids or addresses need
// nothing.
func TestAdminAuthorization(t *testing.T) {
	tc := newTestCA(t)
	other, err := certs.NewCA("other", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokenPath := filepath.Join(t.TempDir(), "token")
	writeToken(t, tokenPath, "0123456789abcdef-right")
	rec := &recorder{}
	s := startServer(t, func(c *Config) {
		c.QuorumTLS.Files = tc.files
		c.AdminTokenFile = tokenPath
	}, WithEnsembleID("ens"), WithAdminHandler("/v1/", rec), WithAdminHandler("/debug/", rec))
	if !strings.HasPrefix(s.AdminURL(), "https://") {
		t.Fatalf("admin URL %s: want HTTPS with member certificates", s.AdminURL())
	}
	op, err := certs.NewOperatorClient(tc.ca, "ens", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	anonymous := tc.clientWith(t, nil, certs.Identity{})
	creds := []struct {
		name  string
		hc    *http.Client
		token string
		want  int // for protected paths
	}{
		{"no credentials", anonymous, "", http.StatusUnauthorized},
		{"operator certificate", adminapi.Credentials{TLS: op.TLSConfig()}.HTTPClient(), "", http.StatusOK},
		{"hand-made certificate of the CA", tc.clientWith(t, tc.ca, certs.Identity{}), "", http.StatusOK},
		{"a member's certificate", tc.clientWith(t, tc.ca, certs.Member("ens", 2)), "", http.StatusForbidden},
		{"another ensemble's operator", tc.clientWith(t, tc.ca, certs.Operator("other")), "", http.StatusForbidden},
		{"operator certificate of another CA", tc.clientWith(t, other, certs.Operator("ens")), "", http.StatusForbidden},
		{"right token", anonymous, "0123456789abcdef-right", http.StatusOK},
		{"wrong token", anonymous, "0123456789abcdef-wrong", http.StatusForbidden},
		{"member certificate and wrong token", tc.clientWith(t, tc.ca, certs.Member("ens", 2)), "x", http.StatusForbidden},
	}
	for _, cr := range creds {
		t.Run(cr.name, func(t *testing.T) {
			c := adminapi.NewClient(s.AdminURL(), cr.hc, adminapi.Credentials{Token: cr.token})
			before := rec.count()
			for _, path := range protectedPaths {
				want := cr.want
				if want == http.StatusOK && path == "/unknown" {
					want = http.StatusNotFound // past the check, nothing there
				}
				status, body := call(t, c, http.MethodPost, path)
				if status != want {
					t.Errorf("POST %s: %d %s; want %d", path, status, body, want)
				}
				if want == http.StatusUnauthorized || want == http.StatusForbidden {
					var e adminapi.Error
					if json.Unmarshal([]byte(body), &e) != nil || e.Code == "" || e.Message == "" {
						t.Errorf("POST %s: body %q is not an adminapi.Error", path, body)
					}
				}
			}
			for _, path := range publicProbePaths {
				if status, body := call(t, c, http.MethodGet, path); status != http.StatusOK {
					t.Errorf("GET %s: %d %s; want 200 without credentials", path, status, body)
				}
			}
			reached := rec.count() - before
			if cr.want != http.StatusOK && reached != 0 {
				t.Errorf("%d refused requests reached the membership handler", reached)
			}
			if cr.want == http.StatusOK && reached != 4 { // /v1/status, /v1/members, /v1/leader/transfer, /debug/partition
				t.Errorf("%d authorized requests reached the membership handler, want 4", reached)
			}
		})
	}
}

func call(t *testing.T, c *adminapi.Client, method, path string) (int, string) {
	t.Helper()
	resp, err := c.Do(t.Context(), method, path, strings.NewReader(`{"id":9,"peerAddr":"10.0.0.66:2888"}`))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestAdminToken: without certificates the admin port is plain HTTP and
// takes the token of admin.tokenFile, read again when the file changes.
func TestAdminToken(t *testing.T) {
	tokenPath := filepath.Join(t.TempDir(), "token")
	writeToken(t, tokenPath, "first-token-0123456789")
	s := startServer(t, func(c *Config) { c.AdminTokenFile = tokenPath })
	if !strings.HasPrefix(s.AdminURL(), "http://") {
		t.Fatalf("admin URL %s", s.AdminURL())
	}
	status := func(tok string) (int, http.Header) {
		resp, err := adminapi.NewClient(s.AdminURL(), nil, adminapi.Credentials{Token: tok}).Do(t.Context(), http.MethodGet, "/v1/sessions", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if got, h := status(""); got != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", got, h)
	}
	if got, _ := status("first-token-0123456789"); got != http.StatusOK {
		t.Fatalf("right token: %d", got)
	}
	writeToken(t, tokenPath, "second-token-0123456789")
	if got, _ := status("first-token-0123456789"); got != http.StatusForbidden {
		t.Fatalf("the replaced token: %d", got)
	}
	if got, _ := status("second-token-0123456789"); got != http.StatusOK {
		t.Fatalf("the new token: %d", got)
	}
	writeToken(t, tokenPath, "short")
	if got, _ := status("short"); got != http.StatusForbidden {
		t.Fatalf("a token too short to be safe was taken: %d", got)
	}
}

func TestAdminTokenFileRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	writeToken(t, short, "abc")
	for name, path := range map[string]string{"missing": filepath.Join(dir, "none"), "too short": short} {
		cfg := DefaultConfig()
		cfg.ClientPort, cfg.ClientPortAddress, cfg.AdminPort, cfg.AdminAddress = 0, "127.0.0.1", 0, "127.0.0.1"
		cfg.AdminTokenFile = path
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "admin.tokenFile") {
			s.Close()
			t.Errorf("%s token file: start gave %v", name, err)
		}
	}
}

// TestAdminOff: with neither certificates nor a token, the protected
// endpoints answer 403 saying how to turn them on; probes still answer.
func TestAdminOff(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, nil, WithAdminHandler("/v1/", rec))
	c := adminapi.NewClient(s.AdminURL(), nil, adminapi.Credentials{Token: "0123456789abcdef-any"})
	for _, path := range []string{"/v1/members", "/v1/sessions", "/commands/cons"} {
		status, body := call(t, c, http.MethodPost, path)
		if status != http.StatusForbidden || !strings.Contains(body, "admin.tokenFile") || !strings.Contains(body, "--tls-dir") {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	if status, _ := call(t, c, http.MethodGet, "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz: %d", status)
	}
	if rec.count() != 0 {
		t.Errorf("%d requests reached the membership handler", rec.count())
	}
}

// TestProbeListener: metricsProvider.httpPort serves the probes and the
// metrics in plain HTTP, and nothing else.
func TestProbeListener(t *testing.T) {
	tc := newTestCA(t)
	s := startServer(t, func(c *Config) {
		c.QuorumTLS.Files = tc.files
		c.ProbeAddress, c.ProbePort = "127.0.0.1", 0
	})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/commands/ruok": 404, "/v1/sessions": 404, "/commands/cons": 404} {
		resp, err := http.Get("http://" + s.ProbeAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("probe port %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
