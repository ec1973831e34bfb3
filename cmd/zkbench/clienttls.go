package main

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// depStandaloneClientTLS is a standalone server whose clients connect to
// its secure client port (TLS, no client certificates): ours with Go's
// crypto/tls, ZooKeeper 3.8 with its Netty connection factory. The versions
// are what the handshakes negotiate (logged at the first connection).
const depStandaloneClientTLS = "standalone, client TLS (ours TLS 1.3; ZooKeeper Netty, TLS 1.2)"

// clientTLSPhases are the phases the client-TLS targets run when -phases
// does not name others.
var clientTLSPhases = []string{"setData", "getData"}

// tlsSeen holds the secure addresses whose negotiated version was logged.
var tlsSeen sync.Map

// tlsPrefix marks a target address that is dialled with TLS.
const tlsPrefix = "tls://"

// clientTLS is the client side of the TLS targets: it trusts the run's CA.
var clientTLS struct {
	sync.Mutex
	pki *refzk.PKI
	cfg *tls.Config
}

// clientPKI is the CA of the run's TLS targets, made at the first use.
func clientPKI(t refzk.T) *refzk.PKI {
	clientTLS.Lock()
	defer clientTLS.Unlock()
	if clientTLS.pki == nil {
		clientTLS.pki = refzk.NewPKI(t)
		cfg := clientTLS.pki.Client(t, nil).TLS
		cfg.ServerName = "localhost"
		clientTLS.cfg = cfg
	}
	return clientTLS.pki
}

// withClientTLS serves a secure client port beside the plain one.
func withClientTLS(t refzk.T, o refzk.Options) refzk.Options {
	o.Client = &refzk.ClientSecurity{TLS: clientPKI(t), ClientAuth: "none"}
	return o
}

// dialTarget dials addr, with a TLS handshake when it has tlsPrefix.
func dialTarget(addr string, timeout time.Duration) (net.Conn, error) {
	hostport, secure := strings.CutPrefix(addr, tlsPrefix)
	nc, err := dial(hostport, timeout)
	if err != nil || !secure {
		return nc, err
	}
	clientTLS.Lock()
	cfg := clientTLS.cfg
	clientTLS.Unlock()
	tc := tls.Client(nc, cfg)
	_ = tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		nc.Close()
		return nil, err
	}
	_ = tc.SetDeadline(time.Time{})
	if _, seen := tlsSeen.LoadOrStore(hostport, true); !seen {
		logf("%s: %s, %s", hostport, tls.VersionName(tc.ConnectionState().Version), tls.CipherSuiteName(tc.ConnectionState().CipherSuite))
	}
	return tc, nil
}
