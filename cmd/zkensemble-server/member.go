package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/serverspec"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// memberFlags are the command-line settings of a member.
type memberFlags struct {
	myid       uint64
	ensembleID string
	join       bool
	faults     bool
	// Kubernetes pods (see podMember).
	podDomain     string
	bootstrapFile string
	tlsDir        string // member certificates (podlayout names), pod mode
	observer      bool   // pod mode: a pod of the observers' StatefulSet
	// forceNewCluster is a request to rebuild the ensemble from this
	// member (forcenew.go); forceNewClusterFile, for pods, a file holding one.
	forceNewCluster, forceNewClusterFile string
	hostname                             string // tests: instead of os.Hostname
	listen                               string // replication listen address, when not the advertised one
	peerAddr                             func(id uint64) string
}

// member is this process's place in the replicated log: an ensemble of one
// when zoo.cfg has no server.N lines, else one of the listed members.
type member struct {
	server  *sessionserver.Server
	node    *ensemble.Node
	tracker *ensemble.SessionTracker
	options []sessionserver.Option
	single  bool
}

// startMember opens the member's log. With a dataDir every transaction is in
// the fsynced write-ahead log before it is applied and answered, and a
// restart replays it.
func startMember(ctx context.Context, cfg sessionserver.Config, flags memberFlags, logger *slog.Logger) (*member, error) {
	myid := flags.myid
	peers, clients, elections := map[uint64]string{}, map[uint64]string{}, map[uint64]int{}
	id := uint64(1)
	if len(cfg.Servers) == 0 {
		peers[1] = "127.0.0.1:0"
	} else {
		if myid == 0 {
			b, err := os.ReadFile(filepath.Join(cfg.DataDir, "myid"))
			if err != nil {
				return nil, fmt.Errorf("zoo.cfg lists servers, so this member needs its id: write it to %s or pass --myid", filepath.Join(cfg.DataDir, "myid"))
			}
			if myid, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 8); err != nil || myid == 0 {
				return nil, fmt.Errorf("%s: %q is not a server id (1..255)", filepath.Join(cfg.DataDir, "myid"), b)
			}
		}
		id = myid
		for sid, line := range cfg.Servers {
			spec, err := serverspec.Parse(sid, line)
			if err != nil {
				return nil, err
			}
			peers[sid], clients[sid], elections[sid] = spec.QuorumAddr(), spec.ClientAddr(), spec.ElectionPort
		}
		if _, ok := peers[id]; !ok {
			return nil, fmt.Errorf("myid %d has no server.%d line in zoo.cfg", id, id)
		}
	}
	// The log directory first: stamping dataDir must not make a lost data
	// volume look like the log's partner.
	if err := checkLogDir(&cfg, flags.ensembleID, id); err != nil {
		return nil, err
	}
	if err := ensemble.CheckStamp(cfg.DataDir, flags.ensembleID, id); err != nil {
		return nil, err
	}
	if err := forceNewCluster(cfg.DataDir, logDir(&cfg), flags, id, logger); err != nil {
		return nil, err
	}
	ec := ensemble.Config{ID: id, EnsembleID: flags.ensembleID, Peers: peers, ListenAddr: flags.listen, PeerAddr: flags.peerAddr,
		ClientAddrs: clients, ElectionPorts: elections, PublishConfig: len(cfg.Servers) > 0, MaxEntryBytes: cfg.MaxBuffer,
		Join: flags.join, DataDir: filepath.Join(cfg.DataDir, "version-2"), WALDir: walDir(&cfg), SnapshotCount: uint64(max(cfg.SnapCount, 0)), Logger: logger}
	if flags.podDomain != "" {
		ec.ObserverID = podlayout.IsObserverID // the operator's id ranges
	}
	if err := quorumAuth(cfg, &ec, len(cfg.Servers) > 0, logger); err != nil {
		return nil, err
	}
	node, err := ensemble.New(ec)
	if err != nil {
		return nil, err
	}
	m := &member{node: node, single: len(cfg.Servers) == 0}
	m.tracker = ensemble.NewSessionTracker(node, cfg.TickTime)
	mode := func() sessionserver.Mode {
		switch {
		case m.single:
			return sessionserver.ModeStandalone
		case node.IsLeader():
			return sessionserver.ModeLeader
		}
		if me, ok := nodeMember(node); ok && me.Learner {
			return sessionserver.ModeObserver
		}
		return sessionserver.ModeFollower
	}
	m.options = []sessionserver.Option{
		sessionserver.WithReplicatedLog(node),
		sessionserver.WithServerID(uint8(id)),
		sessionserver.WithTracker(m.tracker),
		sessionserver.WithMode(mode),
		sessionserver.WithReadiness(node.Ready),
		sessionserver.WithCollectors(node.Collectors()...),
		sessionserver.WithGatherers(ensemble.EtcdGatherer()),
		sessionserver.WithAdminHandler("/v1/", node.AdminHandler(ensemble.AdminInfo{
			EnsembleID: flags.ensembleID,
			Zxid: func() int64 {
				if s := m.server; s != nil {
					return s.LastZxid()
				}
				return -1
			},
			ConfigVersion: func() int64 {
				if s := m.server; s != nil {
					return s.ConfigVersion()
				}
				return 0
			},
		})),
	}
	m.options = append(m.options, m.backupEndpoint(flags.ensembleID))
	if !m.single {
		// A standalone ZooKeeper has no leader gauges; a member of several does.
		m.options = append(m.options, sessionserver.WithQuorumStats(node.QuorumStats))
	}
	if cfg.ReconfigEnabled && !m.single {
		node.EnableReconfig()
		m.options = append(m.options, sessionserver.WithReconfigurer(node))
	}
	if flags.faults {
		logger.Warn("fault injection is enabled on the admin listener (/debug/partition, /debug/heal): for tests only")
		m.options = append(m.options, sessionserver.WithAdminHandler("/debug/", faultHandler(node)))
	}
	return m, nil
}

// faultHandler lets tests cut this member off from peers: POST
// /debug/partition?peers=all (or a comma list of ids) drops every message to
// and from them; POST /debug/heal restores the links.
func faultHandler(node *ensemble.Node) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /debug/partition", func(w http.ResponseWriter, r *http.Request) {
		spec := r.URL.Query().Get("peers")
		cut := map[uint64]bool{}
		all := spec == "all"
		if !all {
			for _, f := range strings.Split(spec, ",") {
				id, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
				if err != nil {
					http.Error(w, "peers must be \"all\" or a comma list of member ids", http.StatusBadRequest)
					return
				}
				cut[id] = true
			}
		}
		self := node.ID()
		node.Transport().SetDrop(func(from, to uint64) bool {
			other := to
			if to == self {
				other = from
			}
			return all || cut[other]
		})
		fmt.Fprintln(w, "partitioned")
	})
	mux.HandleFunc("POST /debug/heal", func(w http.ResponseWriter, r *http.Request) {
		node.Transport().SetDrop(nil)
		fmt.Fprintln(w, "healed")
	})
	return mux
}

// run starts the log against the server's state machine.
func (m *member) run(ctx context.Context, srv *sessionserver.Server) error {
	m.server = srv
	m.tracker.SetExpire(srv.ExpireSessions)
	if err := m.node.Run(srv); err != nil {
		return err
	}
	go m.tracker.Run(ctx)
	if m.single {
		// An ensemble of one elects itself at once; wait so the first client
		// finds it serving writes.
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := m.node.WaitLeader(wctx); err != nil {
			return fmt.Errorf("waiting for leadership: %w", err)
		}
	}
	// A member of a larger ensemble listens at once: liveness must not depend on
	// a quorum, and readiness (/readyz) reports whether it is caught up.
	return nil
}

func nodeMember(n *ensemble.Node) (ensemble.MemberInfo, bool) {
	for _, m := range n.Members() {
		if m.ID == n.ID() {
			return m, true
		}
	}
	return ensemble.MemberInfo{}, false
}
