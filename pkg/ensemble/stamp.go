package ensemble

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// stampFile records which ensemble and member a data directory belongs to.
const stampFile = "zkensemble.stamp"

// CheckStamp writes the data directory's identity stamp on first use, and
// afterwards refuses a directory stamped for another ensemble or member: a
// volume left behind by another ensemble, or by a member that was removed and
// comes back under another id, must not join with stale state.
func CheckStamp(dir, ensembleID string, member uint64) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	path := filepath.Join(dir, stampFile)
	want := fmt.Sprintf("ensemble=%s\nmember=%d\n", ensembleID, member)
	got, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(want), 0o640); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	case err != nil:
		return err
	case string(got) != want:
		return fmt.Errorf("ensemble: %s belongs to %s, not to ensemble %q member %d; refusing to start with stale state (move the directory away to start this member empty)",
			dir, strings.ReplaceAll(strings.TrimSpace(string(got)), "\n", " "), ensembleID, member)
	}
	return nil
}

// StaleState reports why the member state in dataDir (the directory holding
// the stamp; the log is in dataDir/version-2) must not be used by member
// `member` of ensemble `ensembleID`: it was removed from its configuration,
// or it belongs to another ensemble or member. "" means it is usable (or
// absent).
func StaleState(dataDir, ensembleID string, member uint64) string {
	if b, err := os.ReadFile(filepath.Join(dataDir, "version-2", removedMarker)); err == nil {
		return "removed from the configuration: " + strings.TrimSpace(string(b))
	}
	got, err := os.ReadFile(filepath.Join(dataDir, stampFile))
	if err != nil {
		return ""
	}
	if want := fmt.Sprintf("ensemble=%s\nmember=%d\n", ensembleID, member); string(got) != want {
		return "stamped " + strings.ReplaceAll(strings.TrimSpace(string(got)), "\n", " ")
	}
	return ""
}

// HasState reports whether dataDir holds a member's Raft state (in
// dataDir/version-2): a snapshot, a hard state or log entries. A WAL that was
// created but never written to (the member stopped before its first save)
// holds none: the member starts as new, and must then decide again between
// bootstrapping and joining, never bootstrap because a file exists.
func HasState(dataDir string) bool {
	return hasRaftState(filepath.Join(dataDir, "version-2"), "")
}
