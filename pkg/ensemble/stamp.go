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
