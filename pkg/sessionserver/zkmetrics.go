package sessionserver

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// ZooKeeper 3.8's Prometheus metrics provider names each quantity as mntr
// does, without the "zk_" prefix: gauges registered by ZooKeeperServer and
// LeaderZooKeeperServer (registerMetrics), counters and summaries of
// ServerMetrics. Serving the same names with the same types lets dashboards
// and alerts written for ZooKeeper read our members unchanged. Our own
// zkensemble_* names stay beside them (metrics.go).

// zkSummaryObjectives are the quantiles of ZooKeeper's ADVANCED summaries
// (readlatency, updatelatency): 0.5, 0.9 and 0.99.
var zkSummaryObjectives = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}

// zkMetrics are the collectors fed as requests are served.
type zkMetrics struct {
	readLatency   prometheus.Summary // ms, requests without a transaction
	updateLatency prometheus.Summary // ms, requests that wrote a transaction
	bytesReceived prometheus.Counter
	connRequests  prometheus.Counter
	connRejected  prometheus.Counter
	// responseSize: last/min/max serialized reply (client_response_size gauges).
	responseSize bufferStats
}

// QuorumStats is what a leader knows of its ensemble, for the gauges
// ZooKeeper's leader registers (learners, synced_followers, ...).
type QuorumStats struct {
	// Learners are the members the leader replicates to (voters and observers).
	Learners int
	// SyncedFollowers are voters that are caught up and receiving appends.
	SyncedFollowers int
	// SyncedObservers are non-voting members (learners) caught up likewise.
	SyncedObservers int
	// PendingSyncs are members being sent a snapshot.
	PendingSyncs int
	// LeaderSince is when this member became leader.
	LeaderSince time.Time
}

// WithQuorumStats gives the server the leader's view of its ensemble; f
// reports false when this member is not the leader, and the leader-only
// gauges are then absent, as on a ZooKeeper follower.
func WithQuorumStats(f func() (QuorumStats, bool)) Option {
	return func(s *Server) { s.quorumStats = f }
}

// WithCollectors adds collectors (the replicated log's) to the member's
// /metrics.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(s *Server) { s.extraCollectors = append(s.extraCollectors, cs...) }
}

// WithGatherers adds gatherers whose metrics /metrics serves too (metrics
// registered by libraries in a registry of their own).
func WithGatherers(gs ...prometheus.Gatherer) Option {
	return func(s *Server) { s.extraGatherers = append(s.extraGatherers, gs...) }
}

func registerZKMetrics(s *Server, reg *prometheus.Registry) *zkMetrics {
	z := &zkMetrics{
		readLatency: prometheus.NewSummary(prometheus.SummaryOpts{Name: "readlatency",
			Help: "Read request latency in milliseconds (ZooKeeper's name).", Objectives: zkSummaryObjectives}),
		updateLatency: prometheus.NewSummary(prometheus.SummaryOpts{Name: "updatelatency",
			Help: "Write request latency in milliseconds (ZooKeeper's name).", Objectives: zkSummaryObjectives}),
		bytesReceived: prometheus.NewCounter(prometheus.CounterOpts{Name: "bytes_received_count",
			Help: "Bytes received from clients (ZooKeeper's name)."}),
		connRequests: prometheus.NewCounter(prometheus.CounterOpts{Name: "connection_request_count",
			Help: "Session handshakes (ConnectRequests) received (ZooKeeper's name)."}),
		connRejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "connection_rejected",
			Help: "Connections refused by maxClientCnxns (ZooKeeper's name)."}),
	}
	z.responseSize.reset()
	reg.MustRegister(z.readLatency, z.updateLatency, z.bytesReceived, z.connRequests, z.connRejected)
	for _, g := range zkGauges(s, z) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help + " (ZooKeeper's name)."}, g.value))
	}
	reg.MustRegister(leaderGauges{s})
	return z
}

type zkGauge struct {
	name, help string
	value      func() float64
}

// zkGauges are ZooKeeperServer.registerMetrics' gauges that we have.
func zkGauges(s *Server, z *zkMetrics) []zkGauge {
	tree := func(f func() int64) func() float64 {
		return func() float64 {
			s.sm.tree.RLock()
			defer s.sm.tree.RUnlock()
			return float64(f())
		}
	}
	return []zkGauge{
		{"avg_latency", "Average request latency in milliseconds since the last srst", s.stats.avg},
		{"min_latency", "Minimum request latency in milliseconds", func() float64 { return float64(s.stats.minLat.Load()) }},
		{"max_latency", "Maximum request latency in milliseconds", func() float64 { return float64(s.stats.maxLat.Load()) }},
		{"packets_received", "Packets received from clients", func() float64 { return float64(s.stats.received.Load()) }},
		{"packets_sent", "Packets sent to clients", func() float64 { return float64(s.stats.sent.Load()) }},
		{"num_alive_connections", "Open client connections", func() float64 { return float64(len(s.connList())) }},
		{"outstanding_requests", "Requests waiting for their transaction", func() float64 { return float64(s.outstanding()) }},
		{"uptime", "Milliseconds since the server started", func() float64 { return float64(time.Since(s.started).Milliseconds()) }},
		{"znode_count", "Znodes in the tree", tree(func() int64 { return int64(s.sm.tree.NodeCount()) })},
		{"watch_count", "Registered watches", func() float64 { _, _, t := s.sm.tree.Watches.Summary(); return float64(t) }},
		{"ephemerals_count", "Ephemeral znodes", tree(func() int64 { return int64(s.sm.tree.EphemeralCount()) })},
		{"approximate_data_size", "Approximate size of paths and data in bytes", tree(func() int64 { return s.sm.tree.ApproximateDataSize() })},
		{"global_sessions", "Sessions of the ensemble", tree(func() int64 { return int64(len(s.sm.sessionTable)) })},
		{"local_sessions", "Local sessions (never: every session is global)", func() float64 { return 0 }},
		{"open_file_descriptor_count", "Open file descriptors of the process", func() float64 { return float64(openFDs()) }},
		{"max_file_descriptor_count", "File descriptor limit of the process", func() float64 { return float64(maxFDs()) }},
		{"connection_drop_probability", "Probability of dropping a new connection (no connection throttling: 0)", func() float64 { return 0 }},
		{"auth_failed_count", "Failed TLS handshakes and refused client certificates", func() float64 { return float64(s.stats.tlsAuthFailed.Load()) }},
		{"last_client_response_size", "Size in bytes of the last reply (-1 before any)", func() float64 { return float64(z.responseSize.last.Load()) }},
		{"min_client_response_size", "Smallest reply in bytes (-1 before any)", func() float64 { return float64(z.responseSize.min.Load()) }},
		{"max_client_response_size", "Largest reply in bytes (-1 before any)", func() float64 { return float64(z.responseSize.max.Load()) }},
	}
}

// observeRequest feeds the latency summaries: ZooKeeper's
// FinalRequestProcessor counts a request that carried a transaction in
// updatelatency and every other one (pings included) in readlatency.
func (z *zkMetrics) observeRequest(op int32, ms int64, replyBytes int) {
	if isTxnOp(op) {
		z.updateLatency.Observe(float64(ms))
	} else {
		z.readLatency.Observe(float64(ms))
	}
	if replyBytes >= 0 {
		z.responseSize.record(int64(replyBytes))
	}
}

func isTxnOp(op int32) bool { return wire.IsWriteOp(op) }

// bufferStats are ZooKeeper's BufferStats: last, min and max size, -1
// until the first one.
type bufferStats struct {
	last, min, max atomic.Int64
}

func (b *bufferStats) reset() {
	b.last.Store(-1)
	b.min.Store(-1)
	b.max.Store(-1)
}

func (b *bufferStats) record(n int64) {
	b.last.Store(n)
	for {
		m := b.min.Load()
		if (m >= 0 && m <= n) || b.min.CompareAndSwap(m, n) {
			break
		}
	}
	for {
		m := b.max.Load()
		if m >= n || b.max.CompareAndSwap(m, n) {
			break
		}
	}
}

// leaderGauges are LeaderZooKeeperServer's gauges: present only while this
// member leads, as in ZooKeeper, where a follower does not register them.
type leaderGauges struct{ s *Server }

var leaderGaugeDescs = map[string]*prometheus.Desc{
	"learners":                    prometheus.NewDesc("learners", "Members the leader replicates to (ZooKeeper's name).", nil, nil),
	"synced_followers":            prometheus.NewDesc("synced_followers", "Voters caught up with the leader (ZooKeeper's name).", nil, nil),
	"synced_non_voting_followers": prometheus.NewDesc("synced_non_voting_followers", "Voters being added, not yet voting (ZooKeeper's name; always 0: Raft adds voters at once).", nil, nil),
	"synced_observers":            prometheus.NewDesc("synced_observers", "Non-voting members caught up with the leader (ZooKeeper's name).", nil, nil),
	"pending_syncs":               prometheus.NewDesc("pending_syncs", "Members being sent a snapshot (ZooKeeper's name).", nil, nil),
	"leader_uptime":               prometheus.NewDesc("leader_uptime", "Milliseconds since this member became leader (ZooKeeper's name).", nil, nil),
}

func (l leaderGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range leaderGaugeDescs {
		ch <- d
	}
}

func (l leaderGauges) Collect(ch chan<- prometheus.Metric) {
	if l.s.quorumStats == nil {
		return
	}
	q, ok := l.s.quorumStats()
	if !ok {
		return
	}
	for name, v := range map[string]float64{
		"learners": float64(q.Learners), "synced_followers": float64(q.SyncedFollowers), "synced_non_voting_followers": 0,
		"synced_observers": float64(q.SyncedObservers), "pending_syncs": float64(q.PendingSyncs),
		"leader_uptime": float64(time.Since(q.LeaderSince).Milliseconds()),
	} {
		ch <- prometheus.MustNewConstMetric(leaderGaugeDescs[name], prometheus.GaugeValue, v)
	}
}
