package watches

import (
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Watcher receives notifications; server connections implement it.
// Process is called with the tree locked, so it must only queue the event.
type Watcher interface {
	Process(ev wire.WatcherEvent)
}

// Filter decides whether a watcher that fired only through a persistent or
// persistent-recursive watch may be told of the event: the server checks the
// changed node's ACL against the watcher's READ permission (ZooKeeper 3.8.4's
// fix of CVE-2024-23944). Standard watches are not filtered. Nil lets all through.
type Filter func(w Watcher) bool

// Mode of a watch registration.
type Mode uint8

const (
	Standard Mode = iota
	Persistent
	PersistentRecursive
)

// table is one of ZooKeeper's two WatchManagers (data or child): who
// watches which path. Modes live in the Manager, shared by both tables, as in
// ZooKeeper 3.8 where the latest registration of a (watcher, path) decides.
type table struct {
	byPath    map[string]map[Watcher]struct{}
	byWatcher map[Watcher]map[string]struct{}
}

func newTable() *table {
	return &table{byPath: map[string]map[Watcher]struct{}{}, byWatcher: map[Watcher]map[string]struct{}{}}
}

func (t *table) add(path string, w Watcher) {
	ws := t.byPath[path]
	if ws == nil {
		ws = make(map[Watcher]struct{}, 1)
		t.byPath[path] = ws
	}
	ws[w] = struct{}{}
	ps := t.byWatcher[w]
	if ps == nil {
		ps = make(map[string]struct{}, 1)
		t.byWatcher[w] = ps
	}
	ps[path] = struct{}{}
}

func (t *table) has(path string, w Watcher) bool {
	_, ok := t.byPath[path][w]
	return ok
}

func (t *table) remove(path string, w Watcher) bool {
	ws := t.byPath[path]
	if _, ok := ws[w]; !ok {
		return false
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

type modeKey struct {
	w    Watcher
	path string
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
	mu        sync.Mutex
	data      *table
	child     *table
	modes     map[modeKey]Mode // absent means Standard
	recursive int              // entries of modes that are PersistentRecursive
}

// NewManager returns an empty registry.
func NewManager() *Manager {
	return &Manager{data: newTable(), child: newTable(), modes: map[modeKey]Mode{}}
}

func (m *Manager) setMode(path string, w Watcher, mode Mode) {
	k := modeKey{w, path}
	if m.modes[k] == PersistentRecursive {
		m.recursive--
	}
	if mode == Standard {
		delete(m.modes, k)
		return
	}
	m.modes[k] = mode
	if mode == PersistentRecursive {
		m.recursive++
	}
}

// dropMode forgets the mode once w watches path in neither table.
func (m *Manager) dropMode(path string, w Watcher) {
	if !m.data.has(path, w) && !m.child.has(path, w) {
		m.setMode(path, w, Standard)
	}
}

// AddData registers a one-shot data watch (getData, exists).
func (m *Manager) AddData(path string, w Watcher) {
	m.mu.Lock()
	m.data.add(path, w)
	m.setMode(path, w, Standard)
	m.mu.Unlock()
}

// AddChild registers a one-shot child watch (getChildren).
func (m *Manager) AddChild(path string, w Watcher) {
	m.mu.Lock()
	m.child.add(path, w)
	m.setMode(path, w, Standard)
	m.mu.Unlock()
}

// AddPersistent registers a persistent watch (addWatch). A recursive watch
// is added to the data table only and never sees NodeChildrenChanged.
func (m *Manager) AddPersistent(path string, w Watcher, recursive bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data.add(path, w)
	if recursive {
		m.setMode(path, w, PersistentRecursive)
		return
	}
	m.child.add(path, w)
	m.setMode(path, w, Persistent)
}

// Fired is the watchers a trigger selected; true marks one that fired
// through a standard (one-shot) watch, false one that fired only through a
// persistent one (and so is subject to the Filter).
type Fired map[Watcher]bool

// persistent records w as fired through a persistent watch, unless a
// standard watch already fired it.
func (f Fired) persistent(w Watcher) {
	if _, ok := f[w]; !ok {
		f[w] = false
	}
}

// trigger collects the watchers of path in t (and, when recursive watches
// exist, of its ancestors), removing fired one-shot registrations
// (WatchManager.triggerWatch).
func (m *Manager) trigger(t *table, path string, typ int32, fired Fired) {
	m.collect(t, path, path, typ, fired)
	if m.recursive == 0 {
		return
	}
	for p := parentOf(path); p != ""; p = parentOf(p) {
		m.collect(t, p, path, typ, fired)
	}
}

func (m *Manager) collect(t *table, at, changed string, typ int32, fired Fired) {
	ws := t.byPath[at]
	for w := range ws {
		switch mode := m.modes[modeKey{w, at}]; {
		case mode == PersistentRecursive:
			if typ != wire.EventNodeChildrenChanged {
				fired.persistent(w)
			}
		case at != changed:
		case mode == Persistent:
			fired.persistent(w)
		default:
			fired[w] = true
			t.remove(at, w)
		}
	}
}

// Event describes one change to fire: what happened at Path.
type Event struct {
	Path string
	Type int32
}

// TriggerData fires data-table watches for path (NodeCreated, NodeDataChanged, NodeDeleted).
// It returns the watchers notified so a delete can suppress them in the child table.
// mayRead filters the persistent watchers (see Filter).
func (m *Manager) TriggerData(path string, typ int32, mayRead Filter) Fired {
	m.mu.Lock()
	ws := m.data.byPath[path]
	if len(ws) == 0 && m.recursive == 0 {
		m.mu.Unlock()
		return nil
	}
	fired := make(Fired, len(ws))
	m.trigger(m.data, path, typ, fired)
	m.mu.Unlock()
	deliver(fired, nil, path, typ, mayRead)
	return fired
}

// TriggerChild fires child-table watches for path, skipping watchers in
// suppress; mayRead filters the persistent watchers (see Filter).
func (m *Manager) TriggerChild(path string, typ int32, suppress Fired, mayRead Filter) {
	m.mu.Lock()
	ws := m.child.byPath[path]
	if len(ws) == 0 && m.recursive == 0 {
		m.mu.Unlock()
		return
	}
	fired := make(Fired, len(ws))
	m.trigger(m.child, path, typ, fired)
	m.mu.Unlock()
	deliver(fired, suppress, path, typ, mayRead)
}

func deliver(fired, suppress Fired, path string, typ int32, mayRead Filter) {
	ev := wire.WatcherEvent{Type: typ, State: wire.StateSyncConnected, Path: path}
	for w, standard := range fired {
		if _, skip := suppress[w]; skip {
			continue
		}
		if !standard && mayRead != nil && !mayRead(w) {
			continue
		}
		w.Process(ev)
	}
}

// Contains reports whether w watches path with a watch of the given type (checkWatches).
func (m *Manager) Contains(path string, w Watcher, typ int32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	inData, inChild := m.data.has(path, w), m.child.has(path, w)
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
	m.dropMode(path, w)
	return removed
}

// RemoveWatcher drops every watch of w; called when its connection closes.
func (m *Manager) RemoveWatcher(w Watcher) {
	m.mu.Lock()
	for _, t := range []*table{m.data, m.child} {
		for path := range t.byWatcher[w] {
			t.remove(path, w)
			m.dropMode(path, w)
		}
	}
	m.mu.Unlock()
}
