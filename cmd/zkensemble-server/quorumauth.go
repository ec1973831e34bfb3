package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// minSecret is the shortest shared secret a member accepts.
const minSecret = 16

// quorumAuth fills in how the member proves itself to its peers and checks
// them: mutual TLS (sslQuorum keys, or --tls-dir in a pod), else a shared
// secret file (development), else nothing — which a member of a real
// ensemble says loudly at start.
func quorumAuth(cfg sessionserver.Config, ec *ensemble.Config, ensembleMembers bool, logger *slog.Logger) error {
	ec.TLS = cfg.QuorumTLS.CertFiles()
	ec.HostnameVerification = cfg.QuorumTLS.HostnameVerification
	if ec.TLS.Enabled() {
		if err := ec.TLS.Check(); err != nil {
			return fmt.Errorf("member TLS: %w", err)
		}
	}
	if cfg.QuorumSecretFile != "" {
		b, err := os.ReadFile(cfg.QuorumSecretFile)
		if err != nil {
			return fmt.Errorf("quorum.auth.secretFile: %w", err)
		}
		if b = bytes.TrimSpace(b); len(b) < minSecret {
			return fmt.Errorf("quorum.auth.secretFile %s: the secret must be at least %d bytes (e.g. head -c 32 /dev/urandom | base64)", cfg.QuorumSecretFile, minSecret)
		}
		ec.Secret = b
	}
	switch {
	case !ensembleMembers:
	case ec.TLS.Enabled():
		logger.Info("member streams use mutual TLS", "cert", ec.TLS.Cert, "trust", ec.TLS.CA, "hostnameVerification", ec.HostnameVerification)
	case len(ec.Secret) > 0:
		logger.Warn("member streams are authenticated by a shared secret but NOT encrypted: for development only; set sslQuorum=true with ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (PEM) for production")
	default:
		logger.Warn("INSECURE: member streams are neither authenticated nor encrypted; any process that reaches the quorum port can join the replication and read or change every znode. Set sslQuorum=true with ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (PEM), or quorum.auth.secretFile for development")
	}
	return nil
}
