package ensemble

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestMetrics: the leader reports its followers synced (ZooKeeper's leader
// gauges) and each member's lag; a follower has no leader view; the Raft
// gauges follow the log; a snapshot is timed; etcd's WAL fsyncs are served.
func TestMetrics(t *testing.T) {
	ms := cluster(t, 3, 20)
	leader := waitLeader(t, ms)
	for i := 0; i < 30; i++ {
		propose(t, leader, fmt.Sprintf("k%d", i), "v")
	}
	waitConverged(t, ms, "k29", "v")
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, ok := leader.node.QuorumStats()
		if ok && q.Learners == 2 && q.SyncedFollowers == 2 && q.SyncedObservers == 0 && !q.LeaderSince.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leader's quorum stats %+v (leads: %v); want 2 learners, both synced followers", q, ok)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	for _, m := range ms {
		if m == leader {
			continue
		}
		if _, ok := m.node.QuorumStats(); ok {
			t.Errorf("follower %d reports leader stats", m.cfg.ID)
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(leader.node.Collectors()...)
	want := map[string]float64{"zkensemble_raft_is_leader": 1, "zkensemble_raft_has_leader": 1, "zkensemble_raft_voters": 3, "zkensemble_raft_learners": 0}
	for name, v := range want {
		if got := gatherValue(t, reg, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if term := gatherValue(t, reg, "zkensemble_raft_term"); term < 1 {
		t.Errorf("term %v", term)
	}
	if c, a := gatherValue(t, reg, "zkensemble_raft_commit_index"), gatherValue(t, reg, "zkensemble_raft_applied_index"); a < 30 || c < a {
		t.Errorf("commit index %v, applied index %v after 30 writes", c, a)
	}
	if ap, en := gatherValue(t, reg, "zkensemble_raft_appends_total"), gatherValue(t, reg, "zkensemble_raft_entries_persisted_total"); ap < 1 || en < 30 || en < ap {
		t.Errorf("appends %v, entries persisted %v after 30 writes", ap, en)
	}
	if got := collect(leader.node.metrics.leaderChanges); len(got) != 1 || got[0].GetCounter().GetValue() < 1 {
		t.Errorf("leader changes %v: the member saw a leader elected", got)
	}
	if lag := collect(leader.node.laggingCollector()); len(lag) != 3 {
		t.Errorf("lag series on the leader: %d, want one per member", len(lag))
	}
	// 30 entries with a snapshot every 20: the snapshot was timed.
	if got := histogramCount(t, leader.node.metrics.snapSave); got < 1 {
		t.Errorf("snapshot saves timed: %d", got)
	}
	mfs, err := EtcdGatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "etcd_disk_wal_fsync_duration_seconds" && mf.GetMetric()[0].GetHistogram().GetSampleCount() > 0 {
			found = true
		}
	}
	if !found {
		t.Error("etcd's WAL fsync histogram is not served, or counted no fsync")
	}
}

func gatherValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			if c := mf.GetMetric()[0].GetCounter(); c != nil {
				return c.GetValue()
			}
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func collect(c prometheus.Collector) []*dto.Metric {
	ch := make(chan prometheus.Metric, 16)
	go func() { c.Collect(ch); close(ch) }()
	var out []*dto.Metric
	for m := range ch {
		var d dto.Metric
		_ = m.Write(&d)
		out = append(out, &d)
	}
	return out
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 {
		t.Fatalf("gathering: %v", err)
	}
	return mfs[0].GetMetric()[0].GetHistogram().GetSampleCount()
}
