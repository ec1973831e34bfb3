package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
)

// Stale member state is moved aside, never deleted at once: a member moved
// its state aside because it was removed from the configuration or the
// volume belongs to another ensemble, and a mistake (or an attack) that
// causes that must not cost the data. Copies that hold no Raft state are
// dropped; of those that hold state, the newest staleKeep are kept, and
// any copy younger than staleMinAge. So no sequence of moves deletes the
// only saved data, and a volume does not fill up with copies.
const (
	staleDir     = "stale"
	staleKeep    = 3
	staleMinAge  = 7 * 24 * time.Hour
	staleTimeFmt = "20060102T150405.000000000Z"
)

// moveAside moves the member state out of dataDir into
// dataDir/stale/<time>, after pruning older copies by the rule above.
func moveAside(dataDir string) (string, error) {
	root := filepath.Join(dataDir, staleDir)
	if err := pruneStale(root, time.Now()); err != nil {
		return "", err
	}
	dest := filepath.Join(root, time.Now().UTC().Format(staleTimeFmt))
	if err := os.MkdirAll(dest, 0o750); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.Name() == staleDir || e.Name() == "lost+found" {
			continue
		}
		if err := os.Rename(filepath.Join(dataDir, e.Name()), filepath.Join(dest, e.Name())); err != nil {
			return "", err
		}
	}
	return dest, nil
}

// pruneStale applies the retention rule to the copies in root.
func pruneStale(root string, now time.Time) error {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	type copyDir struct {
		path string
		when time.Time
	}
	var withState []copyDir
	for _, e := range entries {
		path := filepath.Join(root, e.Name())
		if !e.IsDir() {
			continue
		}
		if !ensemble.HasState(path) {
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("removing an empty stale copy: %w", err)
			}
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		when := info.ModTime()
		if t, err := time.Parse(staleTimeFmt, e.Name()); err == nil {
			when = t
		}
		withState = append(withState, copyDir{path, when})
	}
	sort.Slice(withState, func(i, j int) bool { return withState[i].when.After(withState[j].when) })
	for i, c := range withState {
		if i < staleKeep || now.Sub(c.when) < staleMinAge {
			continue
		}
		if err := os.RemoveAll(c.path); err != nil {
			return fmt.Errorf("removing an old stale copy: %w", err)
		}
	}
	return nil
}
