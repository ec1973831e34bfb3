package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// podMember turns a StatefulSet pod into an ensemble member. Its id is the
// pod's ordinal + 1; it is reached at <pod>.<domain>. What it does with its
// volume decides whether clients can lose data, so the rules are strict:
//   - a log of this ensemble and member: restart from it (membership comes
//     from the log, not from zoo.cfg);
//   - a log that was removed from the configuration, or stamped for another
//     ensemble or member: moved aside to dataDir/stale, then as empty;
//   - empty: bootstrap only if the operator lists this id in the bootstrap
//     file (it does so only until the ensemble first has a leader), else
//     join and wait to be added as a learner (the lower ids are the members
//     it can reach meanwhile).
//
// A pod of the observers' StatefulSet (<name>-observer-N, --observer) has id
// podlayout.ObserverID(N): it never bootstraps, always joins, and every
// pod member refuses to promote it (ensemble.Config.ObserverID).
func podMember(cfg *sessionserver.Config, flags *memberFlags, logger *slog.Logger) error {
	host := flags.hostname
	if host == "" {
		var err error
		if host, err = os.Hostname(); err != nil {
			return err
		}
	}
	name, id, err := podlayout.ParsePod(host, flags.observer)
	if err != nil {
		return fmt.Errorf("--pod-domain: %w", err)
	}
	observer := flags.observer
	if cfg.DataDir == "" {
		return fmt.Errorf("--pod-domain needs dataDir (the member's volume)")
	}
	line := func(member uint64) string {
		h := podlayout.MemberPod(name, member) + "." + flags.podDomain
		return fmt.Sprintf("%s:%d:%d;%s:%d", h, podlayout.QuorumPort, podlayout.ElectionPort, h, cfg.PublishedClientPort())
	}
	if err := moveAsideStale(cfg, flags.ensembleID, id, logger); err != nil {
		return err
	}
	flags.myid = id
	if flags.forceNewClusterFile == "" {
		flags.forceNewClusterFile = filepath.Join(podlayout.ConfigDir, podlayout.ForceNewClusterFile)
	}
	if flags.tlsDir != "" {
		cfg.QuorumTLS.Files = certs.Files{
			Cert: filepath.Join(flags.tlsDir, podlayout.MemberCertFile(id)),
			Key:  filepath.Join(flags.tlsDir, podlayout.MemberKeyFile(id)),
			CA:   filepath.Join(flags.tlsDir, podlayout.CAFile),
		}
		// The secure client port serves the member's own certificate unless
		// zoo.cfg names a keystore (the operator adds the client Service's
		// names to it).
		cfg.Client.PodFiles = cfg.QuorumTLS.Files
	}
	if cfg.ProbePort < 0 {
		cfg.ProbePort = podlayout.ProbePort // the kubelet's probes and Prometheus, without credentials
	}
	flags.listen = fmt.Sprintf("0.0.0.0:%d", podlayout.QuorumPort)
	flags.peerAddr = func(member uint64) string {
		if member == 0 || member > 255 {
			return ""
		}
		return fmt.Sprintf("%s.%s:%d", podlayout.MemberPod(name, member), flags.podDomain, podlayout.QuorumPort)
	}
	cfg.Servers = map[uint64]string{id: line(id)}
	if ensemble.HasStateWithLog(cfg.DataDir, logDir(cfg)) {
		logger.Info("restarting from the member's log", "id", id)
		return nil
	}
	boot, err := bootstrapIDs(flags.bootstrapFile)
	if err != nil {
		return err
	}
	if boot[id] && !observer {
		for b := range boot {
			cfg.Servers[b] = line(b)
		}
		logger.Info("bootstrapping a new ensemble", "id", id, "members", len(boot))
		return nil
	}
	// Members are always 1..n (the operator grows and shrinks from the top),
	// so the lower ids are the ones to reach while joining.
	// An observer reaches the members through PeerAddr, as they add it.
	for other := uint64(1); other < id && !observer; other++ {
		cfg.Servers[other] = line(other)
	}
	flags.join = true
	logger.Info("empty volume: joining, waiting to be added as a learner", "id", id, "observer", observer)
	return nil
}

// bootstrapIDs reads the ids listed (comma or space separated) in path; a
// missing file lists none.
func bootstrapIDs(path string) (map[uint64]bool, error) {
	ids := map[uint64]bool{}
	if path == "" {
		return ids, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ids, nil
	} else if err != nil {
		return nil, err
	}
	for _, f := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		id, err := strconv.ParseUint(f, 10, 8)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("%s: %q is not a member id (1..255)", path, f)
		}
		ids[id] = true
	}
	return ids, nil
}
