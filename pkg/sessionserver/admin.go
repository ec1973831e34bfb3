package sessionserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// adminHandler serves health, readiness, metrics, ZooKeeper AdminServer-style
// command JSON and our own JSON views (behind adminAuth, see adminauth.go).
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	s.probeRoutes(mux)
	mux.HandleFunc("/commands/", s.serveCommand)
	mux.HandleFunc("/v1/sessions", s.serveSessions)
	for _, m := range s.adminExtra {
		mux.Handle(m.prefix, m.h)
	}
	return mux
}

// probeHandler serves only what the kubelet and Prometheus read.
func (s *Server) probeHandler() http.Handler {
	mux := http.NewServeMux()
	s.probeRoutes(mux)
	return mux
}

func (s *Server) probeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.readiness(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(append(prometheus.Gatherers{s.metrics.registry}, s.extraGatherers...), promhttp.HandlerOpts{}))
}

func (s *Server) readiness() error {
	if s.closed.Load() {
		return fmt.Errorf("server is shutting down")
	}
	if s.ready != nil {
		return s.ready()
	}
	return nil
}

var commandAliases = map[string]string{
	"ruok": "ruok", "srvr": "server_stats", "server_stats": "server_stats", "stat": "stats", "stats": "stats",
	"mntr": "monitor", "monitor": "monitor", "conf": "configuration", "config": "configuration", "configuration": "configuration",
	"cons": "connections", "connections": "connections", "dump": "dump", "wchs": "watch_summary", "watch_summary": "watch_summary",
	"wchc": "watches", "watches": "watches", "wchp": "watches_by_path", "watches_by_path": "watches_by_path",
	"envi": "environment", "env": "environment", "environment": "environment", "isro": "is_read_only", "is_read_only": "is_read_only",
}

// serveCommand mimics ZooKeeper's AdminServer: unknown commands answer 200
// with an error field.
func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/commands/")
	primary, ok := commandAliases[name]
	out := map[string]any{"command": primary, "error": nil}
	switch {
	case !ok:
		out["command"] = name
		out["error"] = "Unknown command: " + name
	case s.commandNeedsServing(primary):
		out["error"] = notServing
	default:
		switch primary {
		case "ruok":
		case "is_read_only":
			out["read_only"] = s.readOnlyActive()
		case "server_stats", "stats":
			out["version"] = Version
			out["server_state"] = s.modeText()
			out["zxid"] = s.LastZxid()
			out["node_count"] = s.nodeCount()
			out["packets_received"] = s.stats.received.Load()
			out["packets_sent"] = s.stats.sent.Load()
			out["num_alive_client_connections"] = len(s.connList())
			out["outstanding_requests"] = s.outstanding()
			out["min_latency"] = s.stats.minLat.Load()
			out["avg_latency"] = s.stats.avg()
			out["max_latency"] = s.stats.maxLat.Load()
		case "monitor":
			for _, e := range s.monitor() {
				out[e.key] = e.value
			}
		case "configuration":
			out["client_port"] = listenerPort(s.ln)
			out["data_dir"] = s.cfg.DataDir
			out["data_log_dir"] = s.cfg.DataLogDir
			out["tick_time"] = s.cfg.TickTime
			out["max_client_cnxns"] = s.cfg.MaxClientCnxns
			out["min_session_timeout"] = s.cfg.MinTimeout()
			out["max_session_timeout"] = s.cfg.MaxTimeout()
			out["server_id"] = s.serverIDForConf()
			out["client_port_listen_backlog"] = -1
		case "connections":
			var conns []map[string]any
			for _, c := range s.connList() {
				conns = append(conns, map[string]any{
					"remote_socket_address": c.nc.RemoteAddr().String(), "interest_ops": 1,
					"outstanding_requests": c.queued(), "packets_received": c.recved.Load(), "packets_sent": c.sent.Load(),
					"session_id": fmt.Sprintf("%d", c.sid), "last_operation": opShortName(c.lastOp.Load()),
					"established": c.created.UTC().Format("2006-01-02T15:04:05.000+00:00"), "session_timeout": c.timeout,
					"last_cxid": c.lastCxid.Load(), "last_zxid": c.lastZxid.Load(), "last_latency": c.lastLat.Load(),
					"max_latency": c.maxLat.Load(),
				})
			}
			out["connections"] = conns
			out["secure_connections"] = []any{}
		case "dump":
			exp := map[string][]int64{}
			for _, in := range s.Sessions() {
				k := fmt.Sprintf("%d", in.ExpiresAt)
				exp[k] = append(exp[k], in.ID)
			}
			eph := map[string][]string{}
			s.sm.tree.RLock()
			for sid := range s.sm.sessionTable {
				if paths := s.sm.tree.Ephemerals(sid, ""); len(paths) > 0 {
					eph[fmt.Sprintf("%d", sid)] = paths
				}
			}
			s.sm.tree.RUnlock()
			out["expiry_time_to_session_ids"] = exp
			out["session_id_to_ephemeral_paths"] = eph
		case "watch_summary":
			c, p, t := s.sm.tree.Watches.Summary()
			out["num_connections"], out["num_paths"], out["num_total_watches"] = c, p, t
		case "watches":
			m := map[string][]string{}
			for _, e := range s.watchesBySession() {
				m[fmt.Sprintf("%d", e.sid)] = e.paths
			}
			out["session_id_to_watched_paths"] = m
		case "watches_by_path":
			m := map[string][]string{}
			for _, e := range s.watchesByPath() {
				for _, sid := range e.sids {
					m[e.path] = append(m[e.path], fmt.Sprintf("%d", sid))
				}
			}
			out["path_to_session_ids"] = m
		case "environment":
			for _, e := range s.environment() {
				out[e[0]] = e[1]
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out) // the client went away
}

// SessionView is one session in /v1/sessions.
type SessionView struct {
	ID        string `json:"id"`
	TimeoutMs int32  `json:"timeoutMs"`
	Closing   bool   `json:"closing"`
	// ExpiresInMs is the time left before its expiry bucket, on the member that tracks it.
	ExpiresInMs int64 `json:"expiresInMs,omitempty"`
	Connected   bool  `json:"connectedHere"`
}

func (s *Server) serveSessions(w http.ResponseWriter, r *http.Request) {
	now := monotonicNow()
	var out []SessionView
	for _, in := range s.Sessions() {
		v := SessionView{ID: fmt.Sprintf("0x%x", in.ID), TimeoutMs: in.Timeout, Closing: in.Closing, Connected: s.connOf(in.ID) != nil}
		if in.ExpiresAt > 0 {
			v.ExpiresInMs = max(0, in.ExpiresAt-now)
		}
		out = append(out, v)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"serverId": s.id, "zxid": fmt.Sprintf("0x%x", s.LastZxid()), "sessions": out})
}
