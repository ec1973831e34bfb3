package sessionserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func scrapeText(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := http.Get("http://" + s.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLeaderGauges: ZooKeeper registers learners, synced_followers, ... on
// its leader only; ours serve them while the log says this member leads.
func TestLeaderGauges(t *testing.T) {
	leading := true
	mu := make(chan struct{}, 1)
	mu <- struct{}{}
	stats := func() (QuorumStats, bool) {
		<-mu
		defer func() { mu <- struct{}{} }()
		return QuorumStats{Learners: 4, SyncedFollowers: 2, SyncedObservers: 1, PendingSyncs: 1, LeaderSince: time.Now().Add(-time.Minute)}, leading
	}
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "zkensemble_test_extra_total", Help: "x"})
	s := startServer(t, nil, WithQuorumStats(stats), WithCollectors(extra))
	out := scrapeText(t, s)
	for _, want := range []string{"\nlearners 4\n", "\nsynced_followers 2\n", "\nsynced_observers 1\n", "\npending_syncs 1\n",
		"\nsynced_non_voting_followers 0\n", "# TYPE leader_uptime gauge", "zkensemble_test_extra_total 0",
		"# TYPE readlatency summary", "# TYPE bytes_received_count counter", "\nglobal_sessions 0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	<-mu
	leading = false
	mu <- struct{}{}
	if out := scrapeText(t, s); strings.Contains(out, "synced_followers") || strings.Contains(out, "learners ") {
		t.Error("a member that does not lead serves the leader gauges")
	}
}
