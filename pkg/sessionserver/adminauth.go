package sessionserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/reloadfile"
)

// publicCommands are the AdminServer commands that print neither session ids
// nor client addresses, with their aliases (see commandAliases).
var publicCommands = []string{
	"ruok", "srvr", "server_stats", "mntr", "monitor", "conf", "config", "configuration",
	"envi", "env", "environment", "isro", "is_read_only", "wchs", "watch_summary", "dirs",
}

// publicPaths answer without credentials: probes, Prometheus, and the
// commands above. Every other path — /v1/ (status and membership changes),
// /v1/sessions, the connections, stats, dump and watch views, /debug/ — and
// any path not listed here needs credentials: default deny, by exact path.
var publicPaths = func() map[string]bool {
	m := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}
	for _, c := range publicCommands {
		m["/commands/"+c] = true
	}
	return m
}()

// backupPath is the member's backup endpoint (pkg/backup); backupPaths are
// the paths the backup identity may use.
const backupPath = "/v1/backup"

var backupPaths = map[string]bool{backupPath: true}

// adminAuth decides who may use the protected endpoints: the holder of the
// operator's client certificate (mutual TLS, when the member has
// certificates) or of the bearer token (admin.tokenFile). With neither
// configured the protected endpoints are off.
type adminAuth struct {
	operator certs.Identity
	// backup is the identity of backup jobs, taken on backupPaths only.
	backup certs.Identity
	trust  *certs.Trust // nil: the admin port has no TLS
	token  *tokenFile   // nil: no admin.tokenFile
	logger *slog.Logger
}

// wrap checks every request before h runs and before any body is read.
func (a *adminAuth) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if publicPaths[r.URL.Path] {
			h.ServeHTTP(w, r)
			return
		}
		if status, err := a.authorize(r); err != nil {
			if status == http.StatusUnauthorized && a.token != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="zkensemble-admin"`)
			}
			code := adminapi.CodeForbidden
			if status == http.StatusUnauthorized {
				code = adminapi.CodeUnauthorized
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(adminapi.Error{Code: code, Message: err.Error()})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errAdminOff is the answer of a member with no credentials configured.
var errAdminOff = errors.New("this member's protected admin endpoints are off: no credentials are configured. " +
	"Give it certificates (--tls-dir, or sslQuorum=true with ssl.quorum.keyStore.location and ssl.quorum.trustStore.location) " +
	"to take the operator's client certificate, or admin.tokenFile for a bearer token")

// authorize returns 401 when the request carries no credentials, 403 when
// they are wrong (or none could be right), and a nil error when they pass.
func (a *adminAuth) authorize(r *http.Request) (int, error) {
	if a.trust == nil && a.token == nil {
		return http.StatusForbidden, errAdminOff
	}
	var why []string
	presented := false
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		presented = true
		err := a.checkCertificate(r.TLS.PeerCertificates, r.URL.Path)
		if err == nil {
			return http.StatusOK, nil
		}
		why = append(why, err.Error())
	}
	if tok, ok := bearerToken(r); ok {
		presented = true
		err := a.checkToken(tok)
		if err == nil {
			return http.StatusOK, nil
		}
		why = append(why, err.Error())
	}
	if !presented {
		var ways []string
		if a.trust != nil {
			ways = append(ways, "the operator's client certificate")
		}
		if a.token != nil {
			ways = append(ways, "the bearer token of admin.tokenFile (Authorization: Bearer ...)")
		}
		return http.StatusUnauthorized, fmt.Errorf("%s needs credentials: %s", r.URL.Path, strings.Join(ways, " or "))
	}
	return http.StatusForbidden, errors.New(strings.Join(why, "; "))
}

// checkCertificate accepts a chain to the member's trust bundle whose leaf
// names the operator of this ensemble, or no zkensemble identity at all (a
// certificate made by hand for ZooKeeper, as its x509 admin auth accepts),
// or, on the backup endpoint only, the ensemble's backup identity.
// A member's certificate is not an operator's.
func (a *adminAuth) checkCertificate(chain []*x509.Certificate, path string) error {
	if a.trust == nil {
		return errors.New("this member takes no client certificates")
	}
	if err := a.trust.VerifyClient(chain); err != nil {
		return fmt.Errorf("the client certificate is not trusted: %w", err)
	}
	id, ok, err := certs.IdentityOf(chain[0])
	switch {
	case err != nil:
		return fmt.Errorf("the client certificate: %w", err)
	case ok && id == a.backup && backupPaths[path]:
	case ok && id == a.backup:
		return fmt.Errorf("the client certificate names %s, which may only take backups (GET %s)", id, backupPath)
	case ok && id != a.operator:
		return fmt.Errorf("the client certificate names %s, which is not this ensemble's operator", id)
	}
	return nil
}

// checkToken compares in constant time (hashes, so the length does not show).
func (a *adminAuth) checkToken(tok string) error {
	if a.token == nil {
		return errors.New("this member takes no bearer token")
	}
	want, err := a.token.Get()
	if err != nil {
		a.logger.Warn("the admin API's bearer token cannot be checked", "err", err)
		return errors.New("this member's token file is unreadable or too short; see its log")
	}
	got := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return errors.New("the bearer token is wrong")
	}
	return nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", h != ""
	}
	return strings.TrimSpace(tok), true
}

// minTokenLen keeps a guessable token out: 16 characters of base64 are 96 bits.
const minTokenLen = 16

// tokenFile is the bearer token (its SHA-256), read again when the file changes.
type tokenFile = reloadfile.File[[sha256.Size]byte]

func newTokenFile(path string) (*tokenFile, error) {
	f := reloadfile.New(path, func(raw []byte) ([sha256.Size]byte, error) {
		tok := strings.TrimSpace(string(raw))
		if len(tok) < minTokenLen {
			return [sha256.Size]byte{}, fmt.Errorf("admin.tokenFile %s: the token has %d characters; use at least %d random ones (e.g. head -c 32 /dev/urandom | base64)", path, len(tok), minTokenLen)
		}
		return sha256.Sum256([]byte(tok)), nil
	})
	if _, err := f.Get(); err != nil {
		return nil, fmt.Errorf("admin.tokenFile: %w", err)
	}
	return f, nil
}
