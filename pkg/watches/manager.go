package watches

import (
	"sort"
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Watcher receives notifications; server connections implement it.
// Process is called with the tree locked, so it must only queue the event.
type Watcher interface {
	Process(ev wire.WatcherEvent)
}

// Mode of a watch registration.
type Mode uint8

const (
	Standard Mode = iota
	Persistent
	PersistentRecursive
)

// table is one of ZooKeeper's two WatchManagers (data or child).
type table struct {
	byPath    map[string]map[Watcher]Mode
	byWatcher map[Watcher]map[string]struct{}
	recursive int // registrations in PersistentRecursive mode
}

func newTable() *table {
	return &table{byPath: map[string]map[Watcher]Mode{}, byWatcher: map[Watcher]map[string]struct{}{}}
}

func (t *table) add(path string, w Watcher, m Mode) {
	ws := t.byPath[path]
	if ws == nil {
		ws = make(map[Watcher]Mode, 1)
		t.byPath[path] = ws
	}
	if old, ok := ws[w]; ok && old == PersistentRecursive {
		t.recursive--
	}
	ws[w] = m
	if m == PersistentRecursive {
		t.recursive++
	}
	ps := t.byWatcher[w]
	if ps == nil {
		ps = make(map[string]struct{}, 1)
		t.byWatcher[w] = ps
	}
	ps[path] = struct{}{}
}

func (t *table) remove(path string, w Watcher) bool {
	ws := t.byPath[path]
	m, ok := ws[w]
	if !ok {
		return false
	}
	if m == PersistentRecursive {
		t.recursive--
	}
	delete(ws, w)
	if len(ws) == 0 {
		delete(t.byPath, path)
	}
	if ps := t.byWatcher[w]; ps != nil {
		delete(ps, path)
		if len(ps) == 0 {
			delete(t.byWatcher, w)
		}
	}
	return true
}

func (t *table) removeWatcher(w Watcher) {
	for path := range t.byWatcher[w] {
		ws := t.byPath[path]
		if ws[w] == PersistentRecursive {
			t.recursive--
		}
		delete(ws, w)
		if len(ws) == 0 {
			delete(t.byPath, path)
		}
	}
	delete(t.byWatcher, w)
}

// trigger collects the watchers of path (and, for recursive watches, of its
// ancestors) into fired, removing one-shot registrations as ZooKeeper does.
func (t *table) trigger(path string, fired map[Watcher]struct{}) {
	t.collect(path, path, fired)
	if t.recursive == 0 {
		return
	}
	for p := parentOf(path); p != ""; p = parentOf(p) {
		t.collect(p, path, fired)
	}
}

func (t *table) collect(at, changed string, fired map[Watcher]struct{}) {
	ws := t.byPath[at]
	for w, m := range ws {
		if at != changed && m != PersistentRecursive {
			continue
		}
		fired[w] = struct{}{}
		if m == Standard {
			delete(ws, w)
			if ps := t.byWatcher[w]; ps != nil {
				delete(ps, at)
				if len(ps) == 0 {
					delete(t.byWatcher, w)
				}
			}
		}
	}
	if ws != nil && len(ws) == 0 {
		delete(t.byPath, at)
	}
}

// parentOf returns the parent of a path, "/" for top-level nodes and "" for "/".
func parentOf(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// Manager holds the data and child watch tables. It is safe for concurrent use.
type Manager struct {
	mu    sync.Mutex
	data  *table
	child *table
}

// NewManager returns an empty registry.
func NewManager() *Manager { return &Manager{data: newTable(), child: newTable()} }

// AddData registers a one-shot data watch (getData, exists).
func (m *Manager) AddData(path string, w Watcher) {
	m.mu.Lock()
	m.data.add(path, w, Standard)
	m.mu.Unlock()
}

// AddChild registers a one-shot child watch (getChildren).
func (m *Manager) AddChild(path string, w Watcher) {
	m.mu.Lock()
	m.child.add(path, w, Standard)
	m.mu.Unlock()
}

// AddPersistent registers a persistent watch (addWatch). A recursive watch
// lives only in the data table, so it never sees NodeChildrenChanged.
func (m *Manager) AddPersistent(path string, w Watcher, recursive bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if recursive {
		m.data.add(path, w, PersistentRecursive)
		return
	}
	m.data.add(path, w, Persistent)
	m.child.add(path, w, Persistent)
}

// Event describes one change to fire: what happened at Path.
type Event struct {
	Path string
	Type int32
}

// TriggerData fires data-table watches for path (NodeCreated, NodeDataChanged, NodeDeleted).
// It returns the watchers notified so a delete can suppress them in the child table.
func (m *Manager) TriggerData(path string, typ int32) map[Watcher]struct{} {
	m.mu.Lock()
	ws := m.data.byPath[path]
	if len(ws) == 0 && m.data.recursive == 0 {
		m.mu.Unlock()
		return nil
	}
	fired := make(map[Watcher]struct{}, len(ws))
	m.data.trigger(path, fired)
	m.mu.Unlock()
	deliver(fired, nil, path, typ)
	return fired
}

// TriggerChild fires child-table watches for path, skipping watchers in suppress.
func (m *Manager) TriggerChild(path string, typ int32, suppress map[Watcher]struct{}) {
	m.mu.Lock()
	ws := m.child.byPath[path]
	if len(ws) == 0 && m.child.recursive == 0 {
		m.mu.Unlock()
		return
	}
	fired := make(map[Watcher]struct{}, len(ws))
	m.child.trigger(path, fired)
	m.mu.Unlock()
	deliver(fired, suppress, path, typ)
}

func deliver(fired, suppress map[Watcher]struct{}, path string, typ int32) {
	ev := wire.WatcherEvent{Type: typ, State: wire.StateSyncConnected, Path: path}
	for w := range fired {
		if _, skip := suppress[w]; skip {
			continue
		}
		w.Process(ev)
	}
}

// Contains reports whether w watches path with a watch of the given type (checkWatches).
func (m *Manager) Contains(path string, w Watcher, typ int32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, inData := m.data.byPath[path][w]
	_, inChild := m.child.byPath[path][w]
	switch typ {
	case wire.WatcherChildren:
		return inChild
	case wire.WatcherData:
		return inData
	default:
		return inData || inChild
	}
}

// Remove drops w's watches of the given type on path (removeWatches) and
// reports whether anything was removed.
func (m *Manager) Remove(path string, w Watcher, typ int32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	removed := false
	if typ == wire.WatcherChildren || typ == wire.WatcherAny {
		removed = m.child.remove(path, w) || removed
	}
	if typ == wire.WatcherData || typ == wire.WatcherAny {
		removed = m.data.remove(path, w) || removed
	}
	return removed
}

// RemoveWatcher drops every watch of w; called when its connection closes.
func (m *Manager) RemoveWatcher(w Watcher) {
	m.mu.Lock()
	m.data.removeWatcher(w)
	m.child.removeWatcher(w)
	m.mu.Unlock()
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
		data[p] = m.data.byPath[p][w]
	}
	for p := range m.child.byWatcher[w] {
		child[p] = m.child.byPath[p][w]
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
