package sessionserver

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are one server's Prometheus collectors, in a registry of its own so
// several servers can live in one process (tests, benchmarks).
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	ops         opCache // opmetrics.go
	connections prometheus.Gauge
	refused     prometheus.Counter
	malformed   prometheus.Counter
	authFailed  prometheus.Counter
	expired     prometheus.Counter
	txns        prometheus.Counter
	bytesIn     prometheus.Counter
	bytesOut    prometheus.Counter
	// proposal: from proposing a transaction to applying it on this member.
	proposal prometheus.Histogram
	zk       *zkMetrics
}

func newMetrics(s *Server) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.registry.MustRegister(c) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zkensemble_requests_total", Help: "Client requests received, by opcode."}, []string{"op"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zkensemble_request_duration_seconds", Help: "Time from receiving a request to queuing its reply, by opcode.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}, []string{"op"})
	m.connections = prometheus.NewGauge(prometheus.GaugeOpts{Name: "zkensemble_connections", Help: "Open client connections."})
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_connections_refused_total", Help: "Connections refused by maxClientCnxns."})
	m.malformed = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_malformed_packets_total", Help: "Malformed, truncated or oversized packets; each closed its connection or got MarshallingError."})
	m.authFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_auth_failures_total", Help: "Failed authentications: setAuth, SASL, TLS handshakes and client certificates."})
	m.expired = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_sessions_expired_total", Help: "Sessions this member expired."})
	m.txns = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_transactions_applied_total", Help: "Transactions applied (zxids used)."})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_received_bytes_total", Help: "Bytes received from clients."})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_sent_bytes_total", Help: "Bytes sent to clients."})
	m.proposal = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "zkensemble_proposal_duration_seconds",
		Help: "Time from proposing a client's transaction to the log until it applied on this member.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.connections, m.refused, m.malformed, m.authFailed, m.expired, m.txns, m.bytesIn, m.bytesOut, m.proposal} {
		f(c)
	}
	gauge := func(name, help string, v func() float64) {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v))
	}
	gauge("zkensemble_sessions", "Live sessions.", func() float64 { return float64(len(s.SessionTimeouts())) })
	gauge("zkensemble_watches", "Registered watches.", func() float64 { return float64(s.sm.tree.Watches.Count()) })
	gauge("zkensemble_znodes", "Znodes in the tree (as srvr counts them).", func() float64 {
		s.sm.tree.RLock()
		defer s.sm.tree.RUnlock()
		return float64(s.sm.tree.NodeCount())
	})
	gauge("zkensemble_ephemerals", "Ephemeral znodes.", func() float64 {
		s.sm.tree.RLock()
		defer s.sm.tree.RUnlock()
		return float64(s.sm.tree.EphemeralCount())
	})
	gauge("zkensemble_data_bytes", "Approximate size of paths and data.", func() float64 {
		s.sm.tree.RLock()
		defer s.sm.tree.RUnlock()
		return float64(s.sm.tree.ApproximateDataSize())
	})
	gauge("zkensemble_last_zxid", "Zxid of the last applied transaction.", func() float64 { return float64(s.LastZxid()) })
	m.zk = registerZKMetrics(s, m.registry)
	for _, c := range s.extraCollectors {
		f(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// serverStats are the counters srvr and mntr print.
type serverStats struct {
	received, sent   atomic.Int64
	minLat, maxLat   atomic.Int64
	sumLat, countLat atomic.Int64
	minInitialized   atomic.Bool
	// tlsAuthFailed counts failed TLS handshakes and refused client
	// certificates (mntr's auth_failed_count, as ZooKeeper counts it).
	tlsAuthFailed atomic.Int64
}

func (st *serverStats) record(ms int64) {
	st.sent.Add(1)
	st.sumLat.Add(ms)
	st.countLat.Add(1)
	if st.minInitialized.CompareAndSwap(false, true) {
		st.minLat.Store(ms)
	}
	for {
		m := st.minLat.Load()
		if m <= ms || st.minLat.CompareAndSwap(m, ms) {
			break
		}
	}
	for {
		m := st.maxLat.Load()
		if m >= ms || st.maxLat.CompareAndSwap(m, ms) {
			break
		}
	}
}

func (st *serverStats) reset() {
	st.received.Store(0)
	st.sent.Store(0)
	st.minLat.Store(0)
	st.maxLat.Store(0)
	st.sumLat.Store(0)
	st.countLat.Store(0)
	st.minInitialized.Store(false)
}

func (st *serverStats) avg() float64 {
	n := st.countLat.Load()
	if n == 0 {
		return 0
	}
	return float64(st.sumLat.Load()) / float64(n)
}
