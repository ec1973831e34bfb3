package ensemble

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// A member's transaction log may have a directory of its own (zoo.cfg's
// dataLogDir, on its own disk): its WAL is then in LogWALDir(logDir), its
// snapshots stay in dataDir/version-2/snap, and each directory carries the
// member's identity stamp (CheckStamp), so that the two are only ever used
// together.

// LogWALDir is the WAL's directory in a member's own log directory.
func LogWALDir(logDir string) string { return filepath.Join(logDir, "version-2", "wal") }

// HasStateWithLog is HasState for a member whose WAL is in logDir ("": in
// dataDir).
func HasStateWithLog(dataDir, logDir string) bool {
	if logDir == "" {
		return HasState(dataDir)
	}
	return hasRaftState(filepath.Join(dataDir, "version-2"), LogWALDir(logDir))
}

// SplitLogMismatch reports why dataDir and logDir must not be used
// together: stamped for different members, or one of them lost (its stamp
// is gone) while the other holds state (snapshots without the log that
// follows them, or a log without its snapshots). "" when they agree.
func SplitLogMismatch(dataDir, logDir string) string {
	ds, derr := os.ReadFile(filepath.Join(dataDir, stampFile))
	ls, lerr := os.ReadFile(filepath.Join(logDir, stampFile))
	stamp := func(b []byte) string { return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", " ") }
	if walHasState(filepath.Join(dataDir, "version-2", "wal")) {
		return "the data directory holds a log (version-2/wal) that a separate log directory would leave behind: " +
			"move it to " + LogWALDir(logDir) + " or drop dataLogDir"
	}
	switch {
	case derr == nil && lerr == nil:
		if string(ds) != string(ls) {
			return "the data directory is stamped " + stamp(ds) + " but the log directory " + stamp(ls)
		}
	case derr == nil && errors.Is(lerr, os.ErrNotExist):
		if snaps, _ := filepath.Glob(filepath.Join(dataDir, "version-2", "snap", "*.snap")); len(snaps) > 0 {
			return "the log directory is empty (unstamped) but the data directory holds snapshots: the log that follows them is lost"
		}
	case errors.Is(derr, os.ErrNotExist) && lerr == nil:
		if hasRaftState(filepath.Join(logDir, "version-2"), "") {
			return "the data directory is empty (unstamped) but the log directory holds a log: its snapshots are lost"
		}
	}
	return ""
}
