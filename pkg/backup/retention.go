package backup

import (
	"context"
	"time"
)

// Retention says which backups of an ensemble to keep: the newest KeepLast
// and those taken within KeepWithin of now; a backup either rule keeps
// stays. Zero values keep everything under that rule; with both zero
// nothing is deleted. The newest backup is always kept.
type Retention struct {
	KeepLast   int
	KeepWithin time.Duration
}

// Expired returns the backups of list (oldest first, one ensemble's) that r
// does not keep at now.
func (r Retention) Expired(list []Info, now time.Time) []Info {
	if r.KeepLast <= 0 && r.KeepWithin <= 0 {
		return nil
	}
	var out []Info
	for i, b := range list {
		newer := len(list) - 1 - i
		keep := newer == 0 ||
			(r.KeepLast > 0 && newer < r.KeepLast) ||
			(r.KeepWithin > 0 && now.Sub(b.Time) <= r.KeepWithin)
		if !keep {
			out = append(out, b)
		}
	}
	return out
}

// Prune deletes the backups of ensemble that r does not keep and returns
// their names. It deletes nothing that is not a backup of ensemble.
func (s *Store) Prune(ctx context.Context, ensemble string, r Retention, now time.Time) ([]string, error) {
	if ensemble == "" {
		return nil, errEmptyEnsemble
	}
	list, err := s.List(ctx, ensemble)
	if err != nil {
		return nil, err
	}
	pruned := []string{}
	for _, b := range r.Expired(list, now) {
		if err := s.Delete(ctx, b.Name); err != nil {
			return pruned, err
		}
		pruned = append(pruned, b.Name)
	}
	return pruned, nil
}
