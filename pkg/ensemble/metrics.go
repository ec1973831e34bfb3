package ensemble

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/tracker"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// nodeMetrics are one member's Raft figures, served on its /metrics next
// to the session server's (Node.Collectors).
type nodeMetrics struct {
	leaderChanges prometheus.Counter
	snapSave      prometheus.Histogram
	snapApply     prometheus.Histogram
	leaderSince   time.Time // when the known leader last changed; Node.leaderAtMu
}

func newNodeMetrics() *nodeMetrics {
	buckets := prometheus.ExponentialBuckets(0.001, 2, 16)
	return &nodeMetrics{
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_raft_leader_changes_total",
			Help: "Times the leader this member knows changed (to none included)."}),
		snapSave: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "zkensemble_raft_snapshot_save_duration_seconds",
			Help: "Time to take a snapshot of the state machine and write it (file and WAL record).", Buckets: buckets}),
		snapApply: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "zkensemble_raft_snapshot_apply_duration_seconds",
			Help: "Time to restore a snapshot received from the leader.", Buckets: buckets}),
	}
}

// Collectors are the member's Raft metrics: term, commit and applied
// index, leader changes, snapshot durations and membership.
func (n *Node) Collectors() []prometheus.Collector {
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	counter := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, v)
	}
	return []prometheus.Collector{
		n.metrics.leaderChanges, n.metrics.snapSave, n.metrics.snapApply,
		gauge("zkensemble_raft_term", "Raft's current term.", func() float64 { return float64(n.term.Load()) }),
		gauge("zkensemble_raft_commit_index", "Index of the last entry known committed.", func() float64 { return float64(n.commitIndex.Load()) }),
		gauge("zkensemble_raft_applied_index", "Index of the last entry applied to the state machine.", func() float64 { return float64(n.appliedIndex.Load()) }),
		gauge("zkensemble_raft_is_leader", "1 when this member is the leader.", func() float64 { return b2f(n.IsLeader()) }),
		gauge("zkensemble_raft_has_leader", "1 when this member knows a leader.", func() float64 { return b2f(n.Leader() != 0) }),
		gauge("zkensemble_raft_voters", "Voting members in this member's configuration.", func() float64 { return float64(n.countMembers(false)) }),
		gauge("zkensemble_raft_learners", "Non-voting members (observers) in this member's configuration.", func() float64 { return float64(n.countMembers(true)) }),
		n.laggingCollector(),
		counter("zkensemble_raft_appends_total", "Raft Readys that persisted log entries (one WAL fsync each).", func() float64 { return float64(n.stats.readies.Load()) }),
		counter("zkensemble_raft_entries_persisted_total", "Log entries persisted (entries per fsync: this over appends_total).", func() float64 { return float64(n.stats.entries.Load()) }),
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (n *Node) countMembers(learners bool) int {
	k := 0
	for _, m := range n.Members() {
		if m.Learner == learners {
			k++
		}
	}
	return k
}

// QuorumStats is the leader's view of its ensemble for the gauges
// ZooKeeper's leader registers; false when this member does not lead.
func (n *Node) QuorumStats() (sessionserver.QuorumStats, bool) {
	if !n.IsLeader() {
		return sessionserver.QuorumStats{}, false
	}
	st := n.rn.Status()
	if st.RaftState != raft.StateLeader {
		return sessionserver.QuorumStats{}, false
	}
	q := sessionserver.QuorumStats{LeaderSince: n.leaderSince()}
	learners := st.Config.Learners
	for id, pr := range st.Progress {
		if id == n.cfg.ID {
			continue
		}
		q.Learners++
		// ZooKeeper's forwarding followers: done syncing, taking proposals.
		synced := pr.State == tracker.StateReplicate && pr.RecentActive
		switch {
		case pr.State == tracker.StateSnapshot:
			q.PendingSyncs++
		case synced && isLearner(learners, id):
			q.SyncedObservers++
		case synced:
			q.SyncedFollowers++
		}
	}
	return q, true
}

func (n *Node) leaderSince() time.Time {
	n.leaderAtMu.Lock()
	defer n.leaderAtMu.Unlock()
	return n.metrics.leaderSince
}

// leaderChanged records a change of the leader this member knows (Raft loop).
func (n *Node) leaderChanged() {
	n.metrics.leaderChanges.Inc()
	n.leaderAtMu.Lock()
	n.metrics.leaderSince = time.Now()
	n.leaderAtMu.Unlock()
}

// laggingCollector reports, on the leader, how many entries each member's
// log is behind the leader's commit index (zkensemble_raft_member_lag_entries).
func (n *Node) laggingCollector() prometheus.Collector {
	desc := prometheus.NewDesc("zkensemble_raft_member_lag_entries",
		"On the leader: committed entries a member has not yet acknowledged, by member id.", []string{"member"}, nil)
	return collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		if !n.IsLeader() {
			return
		}
		st := n.rn.Status()
		for id, pr := range st.Progress {
			lag := uint64(0)
			if st.Commit > pr.Match {
				lag = st.Commit - pr.Match
			}
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(lag), strconv.FormatUint(id, 10))
		}
	}}
}

type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// EtcdGatherer serves the metrics etcd's packages (wal, snap) register in
// Prometheus' default registry at init, such as
// etcd_disk_wal_fsync_duration_seconds: only the etcd_* families, so a
// member's own Go and process collectors are not served twice.
func EtcdGatherer() prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		all, err := prometheus.DefaultGatherer.Gather()
		out := all[:0]
		for _, mf := range all {
			if strings.HasPrefix(mf.GetName(), "etcd_") {
				out = append(out, mf)
			}
		}
		return out, err
	})
}

func isLearner(learners map[uint64]struct{}, id uint64) bool {
	_, ok := learners[id]
	return ok
}
