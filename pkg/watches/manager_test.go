package watches

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

type rec struct{ events []string }

func (r *rec) Process(ev wire.WatcherEvent) {
	r.events = append(r.events, fmt.Sprintf("%d %s", ev.Type, ev.Path))
}

func TestTriggerRules(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *Manager, w Watcher)
		fire  func(m *Manager)
		want  []string
	}{
		{"one-shot data watch fires once", func(m *Manager, w Watcher) { m.AddData("/a", w) },
			func(m *Manager) {
				m.TriggerData("/a", wire.EventNodeDataChanged, nil)
				m.TriggerData("/a", wire.EventNodeDataChanged, nil)
			},
			[]string{"3 /a"}},
		{"persistent watch stays", func(m *Manager, w Watcher) { m.AddPersistent("/a", w, false) },
			func(m *Manager) {
				m.TriggerData("/a", wire.EventNodeDataChanged, nil)
				m.TriggerData("/a", wire.EventNodeDataChanged, nil)
				m.TriggerChild("/a", wire.EventNodeChildrenChanged, nil, nil)
			},
			[]string{"3 /a", "3 /a", "4 /a"}},
		{"recursive watch sees descendants, never child events", func(m *Manager, w Watcher) { m.AddPersistent("/a", w, true) },
			func(m *Manager) {
				m.TriggerData("/a/b/c", wire.EventNodeCreated, nil)
				m.TriggerChild("/a/b", wire.EventNodeChildrenChanged, nil, nil)
				m.TriggerData("/ab", wire.EventNodeCreated, nil)
			},
			[]string{"1 /a/b/c"}},
		{"a later registration replaces the mode (3.8)", func(m *Manager, w Watcher) {
			m.AddPersistent("/p", w, false)
			m.AddPersistent("/p", w, true)
		}, func(m *Manager) { m.TriggerChild("/p", wire.EventNodeChildrenChanged, nil, nil) }, nil},
		{"delete suppresses the child table for notified watchers", func(m *Manager, w Watcher) {
			m.AddData("/d", w)
			m.AddChild("/d", w)
		}, func(m *Manager) {
			fired := m.TriggerData("/d", wire.EventNodeDeleted, nil)
			m.TriggerChild("/d", wire.EventNodeDeleted, fired, nil)
		}, []string{"2 /d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManager()
			w := &rec{}
			tc.setup(m, w)
			tc.fire(m)
			if !reflect.DeepEqual(w.events, tc.want) {
				t.Fatalf("events %v, want %v", w.events, tc.want)
			}
		})
	}
}

func TestRemoveAndViews(t *testing.T) {
	m := NewManager()
	a, b := &rec{}, &rec{}
	m.AddData("/x", a)
	m.AddChild("/x", a)
	m.AddData("/y", b)
	if c, p, n := m.Summary(); c != 2 || p != 3 || n != 3 {
		t.Fatalf("summary %d %d %d", c, p, n)
	}
	if !m.Contains("/x", a, wire.WatcherChildren) || m.Contains("/y", a, wire.WatcherAny) {
		t.Fatal("Contains")
	}
	if !m.Remove("/x", a, wire.WatcherData) || m.Remove("/x", a, wire.WatcherData) {
		t.Fatal("Remove data")
	}
	paths := m.ByWatcher()[a]
	sort.Strings(paths)
	if !reflect.DeepEqual(paths, []string{"/x"}) {
		t.Fatalf("ByWatcher %v", paths)
	}
	m.RemoveWatcher(a)
	m.RemoveWatcher(b)
	if c, p, n := m.Summary(); c+p+n != 0 {
		t.Fatalf("left behind %d %d %d", c, p, n)
	}
}

func BenchmarkFanOut10k(b *testing.B) {
	ws := make([]*rec, 10000)
	for i := range ws {
		ws[i] = &rec{}
	}
	b.ReportAllocs()
	for b.Loop() {
		m := NewManager()
		for _, w := range ws {
			m.AddData("/hot", w)
			w.events = w.events[:0]
		}
		m.TriggerData("/hot", wire.EventNodeDataChanged, nil)
	}
}
