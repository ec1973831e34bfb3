package main

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// logDir is the member's own transaction-log directory (zoo.cfg's
// dataLogDir), "" when the log stays in dataDir.
func logDir(cfg *sessionserver.Config) string {
	if cfg.DataLogDir == "" || filepath.Clean(cfg.DataLogDir) == filepath.Clean(cfg.DataDir) {
		return ""
	}
	return cfg.DataLogDir
}

// checkLogDir stamps the log directory like dataDir and refuses a pair that
// does not belong together (ensemble.SplitLogMismatch), saying what to do.
func checkLogDir(cfg *sessionserver.Config, ensembleID string, id uint64) error {
	dir := logDir(cfg)
	if dir == "" {
		return nil
	}
	if reason := ensemble.SplitLogMismatch(cfg.DataDir, dir); reason != "" {
		return fmt.Errorf("dataDir %s and dataLogDir %s do not belong together (%s); refusing to start (move both away to start this member empty)", cfg.DataDir, dir, reason)
	}
	return ensemble.CheckStamp(dir, ensembleID, id)
}

// moveAsideStale moves a pod member's stale state aside: dataDir and, when
// the log has its own directory, the log directory with it. A pair that
// does not belong together (one volume lost) is stale too.
func moveAsideStale(cfg *sessionserver.Config, ensembleID string, id uint64, logger *slog.Logger) error {
	dirs := []string{cfg.DataDir}
	reason := ensemble.StaleState(cfg.DataDir, ensembleID, id)
	if dir := logDir(cfg); dir != "" {
		dirs = append(dirs, dir)
		if reason == "" {
			reason = ensemble.StaleState(dir, ensembleID, id)
		}
		if reason == "" {
			reason = ensemble.SplitLogMismatch(cfg.DataDir, dir)
		}
	}
	if reason == "" {
		return nil
	}
	for _, dir := range dirs {
		dest, err := moveAside(dir)
		if err != nil {
			return fmt.Errorf("stale member state in %s (%s): %w", dir, reason, err)
		}
		logger.Warn("member state is stale: moved aside, starting empty", "reason", reason, "movedTo", dest)
	}
	return nil
}

// walDir is the WAL's directory for ensemble.Config ("" in dataDir).
func walDir(cfg *sessionserver.Config) string {
	if dir := logDir(cfg); dir != "" {
		return ensemble.LogWALDir(dir)
	}
	return ""
}
