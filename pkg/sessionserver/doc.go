// Package sessionserver is the ZooKeeper-compatible server: client
// connections, the handshake, the request pipeline and the state machine that
// applies ordered transactions, plus zoo.cfg parsing, the four-letter words,
// the admin HTTP listener and Prometheus metrics.
//
// The admin listener serves a few public endpoints (probes, metrics, the
// AdminServer commands that print no session ids or client addresses) and
// guards everything else (adminauth.go): HTTPS with the operator's client
// certificate when the member has certificates, or a bearer token from
// admin.tokenFile; with neither, those endpoints are off. A plain probe
// listener (metricsProvider.httpPort) serves /healthz, /readyz and /metrics.
//
// The client port may also be served over TLS (secureClientPort,
// clienttls.go), where a client certificate gives an x509 id; clients may
// authenticate with SASL DIGEST-MD5 (clientauth.go, pkg/sasl), and
// enforce.auth.schemes refuses the requests of connections without a
// required id. The keys are ZooKeeper 3.8's (config_clientsec.go).
//
// Data flows one way: a connection decodes a request; a read executes at once
// (behind the connection's pending writes), a write becomes a transaction that
// is proposed to a Log; every member applies committed transactions in order
// (Apply), which assigns the zxid, changes the tree, fires watches, and
// completes the originating request so its reply leaves in request order.
// The replicated state is a stateMachine (statemachine.go: the tree, the
// session table, the zxid position, the password secret), apart from the
// Server's connection registry; applying reaches connections only through
// the effects interface, which the Server implements (pending.go).
// LocalLog orders transactions for a standalone server; pkg/ensemble provides
// the replicated Log, which also says whether its member is in touch with a
// quorum (Quorum): without one the server closes its connections and takes
// no sessions (quorum.go), or read-only ones (readonly.go).
package sessionserver
