package compat

import (
	"fmt"
	"math"
	"strings"
)

// The checks of TestMetricsMatchMntr: counts equal where the workload fixes
// them, latencies within a generous bound (two processes on one loaded
// machine: only the order of magnitude is ZooKeeper's).

func equal(slack float64) func(want, have float64, _ workloadFigures) error {
	return func(want, have float64, _ workloadFigures) error {
		if math.Abs(want-have) > slack {
			return fmt.Errorf("differ by more than %v", slack)
		}
		return nil
	}
}

// near allows rel of the larger value plus abs: counts that pings and the
// four-letter words themselves move.
func near(rel, abs float64) func(want, have float64, _ workloadFigures) error {
	return func(want, have float64, _ workloadFigures) error {
		if math.Abs(want-have) > rel*math.Max(want, have)+abs {
			return fmt.Errorf("differ by more than %v%% + %v", rel*100, abs)
		}
		return nil
	}
}

// latency: milliseconds, ours at most ten times ZooKeeper's plus 50 ms.
func latency(want, have float64, _ workloadFigures) error {
	if have < 0 || have > 10*want+50 {
		return fmt.Errorf("not within [0, 10×ZooKeeper's + 50 ms]")
	}
	return nil
}

// latencySum: the sum of a latency summary, 50 ms a request of slack.
func latencySum(want, have float64, _ workloadFigures) error {
	if have < 0 || have > 10*want+50*float64(workCreates+workSets+workGets) {
		return fmt.Errorf("not within [0, 10×ZooKeeper's + 50 ms a request]")
	}
	return nil
}

// uptime: ours started after ZooKeeper (the test starts it second), so
// its uptime is positive and not above ZooKeeper's (5 s of slack).
func uptime(want, have float64, _ workloadFigures) error {
	if have <= 0 || have > want+5000 {
		return fmt.Errorf("not within (0, ZooKeeper's + 5 s]")
	}
	return nil
}

// pingReply is the size of a ping's reply (a reply header, 16 bytes).
const pingReply = 16

// lastResponse: the workload's last request is the same getData on both,
// but a ping may have been answered after it on either server (sessions
// stay open while the other server runs its workload).
func lastResponse(want, have float64, w workloadFigures) error {
	if want == have || want == pingReply || have == pingReply {
		return nil
	}
	return fmt.Errorf("neither the same reply nor a ping's (%d bytes)", pingReply)
}

func positive(want, have float64, _ workloadFigures) error {
	if want <= 0 || have <= 0 {
		return fmt.Errorf("both must be positive")
	}
	return nil
}

// writes: ZooKeeper counts createSession in updatelatency, we do not (the
// handshake has no request latency here).
func writes(want, have float64, w workloadFigures) error {
	return equal(float64(w.sessions))(want, have, w)
}

// comparisons are the mntr keys we serve under ZooKeeper's Prometheus name.
var comparisons = map[string]comparison{
	// ZooKeeperServer.registerMetrics' gauges.
	"avg_latency":                 gauge(latency),
	"min_latency":                 gauge(latency),
	"max_latency":                 gauge(latency),
	"packets_received":            gauge(near(0.2, 10)),
	"packets_sent":                gauge(near(0.2, 10)),
	"num_alive_connections":       gauge(equal(1)), // ZooKeeper counts the mntr connection itself
	"outstanding_requests":        gauge(equal(0)),
	"uptime":                      gauge(uptime),
	"znode_count":                 gauge(equal(0)),
	"watch_count":                 gauge(equal(0)),
	"ephemerals_count":            gauge(equal(0)),
	"approximate_data_size":       gauge(equal(0)),
	"global_sessions":             gauge(equal(0)),
	"local_sessions":              gauge(equal(0)),
	"open_file_descriptor_count":  gauge(positive),
	"max_file_descriptor_count":   gauge(positive),
	"connection_drop_probability": gauge(equal(0)),
	"auth_failed_count":           gauge(equal(0)),
	"last_client_response_size":   gauge(lastResponse),
	"min_client_response_size":    gauge(equal(0)),
	"max_client_response_size":    gauge(equal(0)),
	// ServerMetrics counters.
	"bytes_received_count":     counter(near(0.2, 100)),
	"connection_request_count": counter(equal(0)),
	"connection_rejected":      counter(equal(0)),
	// ServerMetrics ADVANCED summaries (quantiles 0.5, 0.9, 0.99).
	"cnt_readlatency":   summary(near(0.1, 20)),
	"sum_readlatency":   summary(latencySum),
	"avg_readlatency":   summary(latency),
	"p50_readlatency":   summary(latency),
	"p99_readlatency":   summary(latency),
	"cnt_updatelatency": summary(writes),
	"sum_updatelatency": summary(latencySum),
	"avg_updatelatency": summary(latency),
	"p50_updatelatency": summary(latency),
	"p99_updatelatency": summary(latency),
}

// notExported are the mntr keys (or, for summaries, their names) we
// deliberately do not serve under ZooKeeper's name, and why.
var notExported = map[string]string{
	"version":      "a string: mntr only (dumpMonitorValues), not a Prometheus metric in ZooKeeper either",
	"server_state": "a string: mntr only (dumpMonitorValues), not a Prometheus metric in ZooKeeper either",

	"jvm_pause_time_ms": "JVM-only (JvmPauseMonitor); Go's pauses are in go_gc_duration_seconds",

	"non_mtls_remote_conn_count":            "ZooKeeper's client-port TLS upgrade accounting; ours: auth_failed_count and zkensemble_auth_failures_total",
	"non_mtls_local_conn_count":             "ZooKeeper's client-port TLS upgrade accounting; ours: auth_failed_count and zkensemble_auth_failures_total",
	"outstanding_tls_handshake":             "Netty-only (NettyServerCnxnFactory); our TLS handshakes run on the connection's own goroutine",
	"unsuccessful_handshake":                "Netty-only TLS handshake counter; ours: auth_failed_count",
	"tls_handshake_exceeded":                "Netty-only TLS handshake throttle; we have none",
	"insecure_admin_count":                  "Jetty AdminServer over plain HTTP; our admin port's policy is in adminauth.go",
	"connection_drop_count":                 "connection throttling (BlueThrottle), which we do not have",
	"connection_token_deficit":              "connection throttling (BlueThrottle), which we do not have",
	"connection_revalidate_count":           "session revalidation against the leader; our sessions are replicated state",
	"revalidate_count":                      "session revalidation against the leader; our sessions are replicated state",
	"netty_queued_buffer_capacity":          "Netty-only",
	"socket_closing_time":                   "NIO selector internals",
	"cnxn_closed_without_zk_server_running": "ZooKeeperServer state machine internals; ours refuses connections until serving",
	"sessionless_connections_expired":       "NIO's expiry of connections without a session; ours closes them on the handshake deadline",
	"stale_sessions_expired":                "learner-side session upgrade internals",
	"unrecoverable_error_count":             "ZooKeeper exits on it; a member of ours stops (and its pod restarts)",

	"response_bytes":                            "ZooKeeper's response cache accounting; ours: zkensemble_sent_bytes_total",
	"response_packet_cache_hits":                "ZooKeeper's serialized-response cache, which we do not have",
	"response_packet_cache_misses":              "ZooKeeper's serialized-response cache, which we do not have",
	"response_packet_get_children_cache_hits":   "ZooKeeper's serialized-response cache, which we do not have",
	"response_packet_get_children_cache_misses": "ZooKeeper's serialized-response cache, which we do not have",
	"watch_bytes":                               "not counted",
	"node_created_watch_count":                  "watches fired per event: not counted (ours: watch_count)",
	"node_deleted_watch_count":                  "watches fired per event: not counted (ours: watch_count)",
	"node_changed_watch_count":                  "watches fired per event: not counted (ours: watch_count)",
	"node_children_watch_count":                 "watches fired per event: not counted (ours: watch_count)",
	"dead_watchers_queued":                      "ZooKeeper's lazy dead-watcher cleaner; ours drops a connection's watches as it closes",
	"dead_watchers_cleared":                     "ZooKeeper's lazy dead-watcher cleaner; ours drops a connection's watches as it closes",
	"dead_watchers_cleaner_latency":             "ZooKeeper's lazy dead-watcher cleaner; ours drops a connection's watches as it closes",
	"add_dead_watcher_stall_time":               "ZooKeeper's lazy dead-watcher cleaner; ours drops a connection's watches as it closes",
	"large_requests_rejected":                   "ours refuses frames over jute.maxbuffer: zkensemble_malformed_packets_total",

	"fsynctime":               "etcd's WAL fsyncs: etcd_disk_wal_fsync_duration_seconds",
	"snapshottime":            "ours: zkensemble_raft_snapshot_save_duration_seconds",
	"snap_count":              "ours: zkensemble_raft_snapshot_save_duration_seconds_count",
	"dbinittime":              "ZooKeeper's startup load; ours replays etcd's WAL (not timed)",
	"startup_snap_load_time":  "ZooKeeper's startup load; ours replays etcd's WAL (not timed)",
	"startup_txns_load_time":  "ZooKeeper's startup load; ours replays etcd's WAL (not timed)",
	"startup_txns_loaded":     "ZooKeeper's startup load; ours replays etcd's WAL (not timed)",
	"digest_mismatches_count": "ZooKeeper's tree digest, which we do not compute",
}

// zabInternals are ZooKeeper's request-processor chain and ZAB quorum
// figures; ours is a pipeline on Raft, whose figures are zkensemble_raft_*
// (term, leader changes, commit and applied index, member lag) and the
// leader gauges learners, synced_followers, synced_observers, pending_syncs.
var zabInternals = []string{
	"prep_processor", "sync_processor", "commit_proc", "commitproc", "commit_commit_proc", "commit_process_time",
	"write_batch_time_in_commit_processor", "concurrent_request_processing_in_commit_processor",
	"time_waiting_empty_pool_in_commit_processor", "requests_not_forwarded_to_commit_processor",
	"read_final_proc_time_ms", "write_final_proc_time_ms", "prep_process_time", "sync_process_time", "om_",
	"session_queues_drained", "reads_issued_from_session_queue", "reads_after_write_in_session_queue",
	"requests_in_session_queue", "pending_session_queue_size", "skip_learner_request_to_next_processor_count",
	"close_session_prep_time", "local_write_committed_time_ms", "server_write_committed_time_ms",
	"request_commit_queued", "outstanding_changes", "stale_requests", "stale_replies", "request_throttle",
	"throttled_ops", "proposal_count", "commit_count", "learner_proposal_received_count",
	"learner_commit_received_count", "diff_count", "looking_count", "quit_leading_due_to_disloyal_voter",
	"election_time", "follower_sync_time", "observer_sync_time", "proposal_latency", "proposal_ack_creation_latency",
	"quorum_ack_latency", "commit_propagation_latency", "propagation_latency", "proposal_process_time",
	"leader_unavailable_time", "unavailable_time", "inflight_snap_count", "inflight_diff_count",
	"learner_request_processor_queue_size", "ensemble_auth_",
}

// summaryParts are the prefixes mntr gives a summary's figures.
var summaryParts = []string{"avg_", "min_", "max_", "cnt_", "sum_", "p50_", "p95_", "p99_", "p999_"}

func notExportedReason(key string) (string, bool) {
	if r, ok := notExported[key]; ok {
		return r, true
	}
	name, part := key, ""
	for _, p := range summaryParts {
		if strings.HasPrefix(key, p) {
			name, part = strings.TrimPrefix(key, p), strings.TrimSuffix(p, "_")
			break
		}
	}
	if name == "readlatency" || name == "updatelatency" {
		switch part {
		case "min", "max":
			return "a Prometheus summary has no min or max (ZooKeeper's provider serves none either)", true
		case "p95", "p999":
			return "ZooKeeper's Prometheus summaries carry the quantiles 0.5, 0.9 and 0.99 only", true
		}
	}
	if r, ok := notExported[name]; ok {
		return r, true
	}
	if strings.HasSuffix(name, "_read_per_namespace") || strings.HasSuffix(name, "_write_per_namespace") {
		// mntr prints them as <part>_<namespace>_read_per_namespace.
		return "ZooKeeper's per-namespace summary sets (read_per_namespace, write_per_namespace{key=<first path component>}): not counted", true
	}
	for _, z := range zabInternals {
		if strings.HasPrefix(name, z) || strings.Contains(name, z) {
			return "ZooKeeper's request processors and ZAB internals; ours are zkensemble_raft_* and the leader gauges", true
		}
	}
	return "", false
}
