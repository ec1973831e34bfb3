package sessionserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sasl"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/version"
)

// Version is what srvr, mntr, envi and the admin API report, in ZooKeeper's
// format: ZooKeeper prints "3.8.0-<its commit>", we print
// "3.8.0-zkensemble-<our version>" (pkg/version: git describe). The
// build-date format matches the 3.4/3.5 one that go-zookeeper's FLWSrvr
// parser expects.
var Version = zkVersion(version.Get())

// zkVersion is the version line's first field for our version v, with what
// go-zookeeper's FLWSrvr parser does not accept ([^A-Za-z0-9.-]) replaced.
func zkVersion(v string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			return r
		}
		return '-'
	}, v)
	return "3.8.0-zkensemble-" + clean + ", built on 02/25/2022 08:49 GMT"
}

// Option configures a Server.
type Option func(*Server)

// WithReplicatedLog makes the server propose to l instead of its own LocalLog
// (pkg/ensemble). The log must call the server's Apply.
func WithReplicatedLog(l Log) Option { return func(s *Server) { s.rlog = l } }

// WithTracker replaces the standalone session tracker (pkg/ensemble).
func WithTracker(t SessionTracker) Option { return func(s *Server) { s.tracker = t } }

// WithServerID sets the member id (the top byte of its session ids); 1 for standalone.
func WithServerID(id uint8) Option { return func(s *Server) { s.id = uint64(id) } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// WithAdminHandler mounts h on the admin listener under prefix (pkg/ensemble's API).
func WithAdminHandler(prefix string, h http.Handler) Option {
	return func(s *Server) { s.adminExtra = append(s.adminExtra, adminMount{prefix, h}) }
}

// WithReadiness replaces the /readyz check (an ensemble member is ready when caught up).
func WithReadiness(f func() error) Option { return func(s *Server) { s.ready = f } }

// WithMode sets the member's current role (srvr's Mode; the leader runs expiry and containers).
func WithMode(f func() Mode) Option { return func(s *Server) { s.mode = f } }

// WithReconfigurer enables the reconfig opcode through r (pkg/ensemble).
func WithReconfigurer(r Reconfigurer) Option { return func(s *Server) { s.reconfigurer = r } }

type adminMount struct {
	prefix string
	h      http.Handler
}

// Server is a ZooKeeper-compatible server: one standalone server, or one
// member of an ensemble when given a replicated Log.
type Server struct {
	cfg    Config
	id     uint64
	logger *slog.Logger

	rlog         Log // orders transactions (the replicated log, or localLog)
	localLog     *LocalLog
	tracker      SessionTracker
	ownTracker   *sessions.Tracker
	reconfigurer Reconfigurer
	ready        func() error
	mode         func() Mode
	adminExtra   []adminMount

	// sm is the replicated state; the rest is this member's connection registry.
	sm    *stateMachine
	idGen *sessions.IDGenerator

	proposingSecret atomic.Bool

	mu      sync.Mutex
	conns   map[*conn]struct{}
	bySID   map[int64]*conn
	perIP   map[string]int
	pending map[uint64]waiting
	seq     atomic.Uint64
	nextCnx atomic.Uint64

	ln      net.Listener // plain client port; nil when off
	adminLn net.Listener
	// secureLn serves TLS clients with secureTLS (clienttls.go); saslUsers
	// authenticate SASL clients (clientauth.go). Nil when off.
	secureLn  net.Listener
	secureTLS *tls.Config
	saslUsers sasl.Users
	admin     *http.Server
	metrics   *metrics
	// quorumStats, extraCollectors and extraGatherers feed /metrics (zkmetrics.go).
	quorumStats     func() (QuorumStats, bool)
	extraCollectors []prometheus.Collector
	extraGatherers  []prometheus.Gatherer
	stats           serverStats
	started         time.Time
	ctx             context.Context
	cancel          context.CancelFunc
	wg              sync.WaitGroup
	closed          atomic.Bool

	// qw follows the log's quorum state (quorum.go); ro is read-only mode (readonly.go).
	qw quorumWatch
	// notice wakes handshakes held through an election (electionhold.go).
	notice servingNotice
	ro     readOnly

	// adminTLS: the admin port speaks HTTPS; ensembleID names the operator
	// it takes (adminlisten.go); probe is the plain listener for probes.
	adminTLS   bool
	ensembleID string
	probeLn    net.Listener
	probe      *http.Server
}

// New creates a server; Start opens its listeners.
func New(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		id:      1,
		logger:  slog.Default(),
		conns:   map[*conn]struct{}{},
		bySID:   map[int64]*conn{},
		perIP:   map[string]int{},
		pending: map[uint64]waiting{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.id == 0 || s.id > 255 {
		return nil, fmt.Errorf("server id %d out of range 1..255", s.id)
	}
	s.idGen = sessions.NewIDGenerator(uint8(s.id))
	users, err := saslUsersOf(cfg.Client)
	if err != nil {
		return nil, err
	}
	s.saslUsers = users
	s.metrics = newMetrics(s)
	if s.tracker == nil {
		s.ownTracker = sessions.NewTracker(cfg.TickTime, s.expireSessions)
		s.tracker = s.ownTracker
	}
	s.sm = newStateMachine(cfg, s.id, s.logger, s.tracker)
	if s.rlog == nil {
		s.localLog = NewLocalLog(s)
		s.rlog = s.localLog
	}
	if s.mode == nil {
		s.mode = func() Mode { return ModeStandalone }
	}
	return s, nil
}

// Tree exposes the data tree (for the ensemble's membership znode and tests).
func (s *Server) Tree() *datatree.Tree { return s.sm.tree }

// ID is the member id.
func (s *Server) ID() uint64 { return s.id }

// LastZxid is the zxid of the last applied transaction.
func (s *Server) LastZxid() int64 { return s.sm.lastZxid.Load() }

// Start opens the client and admin listeners and starts serving.
func (s *Server) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.started = time.Now()
	if err := s.openClientListeners(); err != nil {
		return err
	}
	if err := s.startAdmin(); err != nil {
		s.closeClientListeners()
		return err
	}
	if s.ownTracker != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.ownTracker.Run(s.ctx) }()
	}
	s.startReadOnly()
	s.watchQuorum()
	if s.cfg.ContainerInterval > 0 {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.runContainerManager(s.ctx) }()
	}
	for _, ln := range []net.Listener{s.ln, s.secureLn} {
		if ln != nil {
			s.wg.Add(1)
			go s.acceptLoop(ln, ln == s.secureLn)
		}
	}
	s.logger.Info("serving", "client", s.Addr(), "secureClient", s.SecureAddr(), "admin", s.AdminURL(), "probes", s.ProbeAddr(), "serverId", s.id)
	return nil
}

// Addr is the plain client listener's address ("" when only the secure port is served).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// AdminAddr is the admin listener's address, or "" when disabled.
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// Close stops serving and closes every connection.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.closeClientListeners()
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.probe != nil {
		_ = s.probe.Close()
	}
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	pending := s.pending
	s.pending = map[uint64]waiting{}
	s.mu.Unlock()
	for _, w := range pending {
		w.req.abandon()
	}
	for _, c := range conns {
		c.close()
	}
	if s.localLog != nil {
		s.localLog.Close()
	}
	s.wg.Wait()
	return nil
}

// propose submits a transaction; on failure the waiting request is dropped
// and its connection closed, so the client retries elsewhere.
func (s *Server) propose(t *txn) error {
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	err := s.rlog.Propose(ctx, t.encode())
	if err != nil && t.Seq != 0 {
		if p := s.takePending(t.Seq); p != nil {
			p.abandon()
		}
	}
	return err
}

// expireSessions is the tracker's callback: propose a closeSession for each.
// Sessions that expire together are closed by one transaction per batch
// (each still uses a zxid of its own when applied), so an expiry storm costs
// a few log entries, not one each.
func (s *Server) expireSessions(sids []int64) {
	const batch = 1000
	for start := 0; start < len(sids); start += batch {
		chunk := sids[start:min(start+batch, len(sids))]
		for _, sid := range chunk {
			s.logger.Info("session expired", "sessionId", fmt.Sprintf("0x%x", sid))
		}
		s.metrics.expired.Add(float64(len(chunk)))
		if err := s.propose(&txn{Type: txnCloseSessions, Time: time.Now().UnixMilli(), Origin: s.id, Body: encodeSids(chunk)}); err != nil {
			s.logger.Warn("proposing session close", "err", err)
		}
	}
}

// Sessions lists the sessions this member tracks, for the admin API.
func (s *Server) Sessions() []sessions.Info {
	if s.ownTracker != nil {
		return s.ownTracker.Sessions()
	}
	return s.sm.sessionInfos()
}

// SessionTimeouts returns the replicated session table (id → timeout), for a new leader's tracker.
func (s *Server) SessionTimeouts() map[int64]int32 { return s.sm.sessionTimeouts() }

// ExpireSessions proposes closeSession for sids (the ensemble leader's expiry).
func (s *Server) ExpireSessions(sids []int64) { s.expireSessions(sids) }

// ConfigVersion is the version of /zookeeper/config: the zxid of the change
// that wrote it (0 while it is empty).
func (s *Server) ConfigVersion() int64 { return s.sm.configVersion() }
