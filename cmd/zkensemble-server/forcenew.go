package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
)

// forceNewCluster carries out a force-new-cluster request (pkg/ensemble,
// forcenew.go) on this member's log before it starts: from --force-new-cluster
// (a request that does not name this ensemble and member is an error), or,
// for a pod, from the file the operator writes (--force-new-cluster-file: one
// request for the whole ensemble, carried out only by the member it names).
// logDir is dataLogDir ("" when the WAL stays in dataDir).
func forceNewCluster(dataDir, logDir string, flags memberFlags, id uint64, logger *slog.Logger) error {
	request := flags.forceNewCluster
	if request == "" && flags.forceNewClusterFile != "" {
		b, err := os.ReadFile(flags.forceNewClusterFile)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		request = strings.TrimSpace(string(b))
		if request == "" {
			return nil
		}
		req, err := ensemble.ParseForceRequest(request)
		if err != nil {
			return fmt.Errorf("%s: %w", flags.forceNewClusterFile, err)
		}
		if req.EnsembleID != flags.ensembleID || req.Member != id {
			logger.Info("a force-new-cluster request names another member; not this one's to carry out", "request", request)
			return nil
		}
		if !ensemble.HasStateWithLog(dataDir, logDir) {
			// The request outlived this member's log (its volume was
			// replaced since): it joins as a new member.
			logger.Warn("a force-new-cluster request names this member, but its volume holds no log: ignored", "request", request)
			return nil
		}
	}
	if request == "" {
		return nil
	}
	walDir := ""
	if logDir != "" {
		walDir = ensemble.LogWALDir(logDir)
	}
	res, err := ensemble.ForceNewCluster(filepath.Join(dataDir, "version-2"), walDir, flags.ensembleID, id, request, logger)
	switch {
	case err != nil:
		return err
	case res.AlreadyDone:
		logger.Info("force-new-cluster: this request was carried out before; starting normally", "request", request)
	default:
		logger.Warn("force-new-cluster: this member is now the only voter; every entry of its log is committed, the other members are removed",
			"request", request, "removed", res.Removed, "knownCommit", res.KnownCommit, "lastIndex", res.LastIndex, "term", res.Term)
	}
	return nil
}
