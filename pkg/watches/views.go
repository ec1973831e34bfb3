package watches

import (
	"sort"
)

// Watching reports whether w watches path in either table.
func (m *Manager) Watching(path string, w Watcher) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data.has(path, w) || m.child.has(path, w)
}

// CountOf is the number of w's registrations (a persistent watch counts in
// both tables), for the per-connection cap.
func (m *Manager) CountOf(w Watcher) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data.byWatcher[w]) + len(m.child.byWatcher[w])
}

// Summary returns the figures `wchs` prints: watching connections, watched paths, watches.
func (m *Manager) Summary() (connections, paths, total int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	conns := map[Watcher]struct{}{}
	for _, t := range []*table{m.data, m.child} {
		paths += len(t.byPath)
		for w, ps := range t.byWatcher {
			conns[w] = struct{}{}
			total += len(ps)
		}
	}
	return len(conns), paths, total
}

// Count returns the number of registered watches.
func (m *Manager) Count() int {
	_, _, total := m.Summary()
	return total
}

// ByWatcher returns each watcher's watched paths, sorted (wchc).
func (m *Manager) ByWatcher() map[Watcher][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[Watcher][]string{}
	for _, t := range []*table{m.data, m.child} {
		for w, ps := range t.byWatcher {
			for p := range ps {
				out[w] = append(out[w], p)
			}
		}
	}
	for w, ps := range out {
		out[w] = sortedUnique(ps)
	}
	return out
}

// ByPath returns each watched path's watchers (wchp).
func (m *Manager) ByPath() map[string][]Watcher {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]Watcher{}
	seen := map[string]map[Watcher]bool{}
	for _, t := range []*table{m.data, m.child} {
		for p, ws := range t.byPath {
			if seen[p] == nil {
				seen[p] = map[Watcher]bool{}
			}
			for w := range ws {
				if !seen[p][w] {
					seen[p][w] = true
					out[p] = append(out[p], w)
				}
			}
		}
	}
	return out
}

// WatchesOf lists w's registrations per table, for tests and SetWatches checks.
func (m *Manager) WatchesOf(w Watcher) (data, child map[string]Mode) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, child = map[string]Mode{}, map[string]Mode{}
	for p := range m.data.byWatcher[w] {
		data[p] = m.modes[modeKey{w, p}]
	}
	for p := range m.child.byWatcher[w] {
		child[p] = m.modes[modeKey{w, p}]
	}
	return data, child
}

func sortedUnique(ps []string) []string {
	sort.Strings(ps)
	out := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}
