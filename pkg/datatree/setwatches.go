package datatree

import (
	"github.com/zkensemble/zkensemble/pkg/watches"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// WatchSet is what a reconnecting client asks to restore (SetWatches/SetWatches2).
type WatchSet struct {
	RelativeZxid int64
	Data         []string
	Exist        []string
	Child        []string
	Persistent   []string
	Recursive    []string
}

// SetWatches restores a reconnecting client's watches (DataTree.setWatches):
// what changed after RelativeZxid is reported to w at once, the rest is
// registered. Persistent watches are re-registered without catch-up events.
// Immediate events go to notify (the caller may hold its connection's lock),
// later ones to w. Call it with the tree read-locked.
func (t *Tree) SetWatches(ws WatchSet, w watches.Watcher, notify func(wire.WatcherEvent)) {
	send := func(typ int32, path string) {
		notify(wire.WatcherEvent{Type: typ, State: wire.StateSyncConnected, Path: path})
	}
	for _, p := range ws.Data {
		n := t.lookup(p)
		switch {
		case n == nil:
			send(wire.EventNodeDeleted, p)
		case n.stat.Mzxid > ws.RelativeZxid:
			send(wire.EventNodeDataChanged, p)
		default:
			t.Watches.AddData(p, w)
		}
	}
	for _, p := range ws.Exist {
		if t.lookup(p) != nil {
			send(wire.EventNodeCreated, p)
		} else {
			t.Watches.AddData(p, w)
		}
	}
	for _, p := range ws.Child {
		n := t.lookup(p)
		switch {
		case n == nil:
			send(wire.EventNodeDeleted, p)
		case n.stat.Pzxid > ws.RelativeZxid:
			send(wire.EventNodeChildrenChanged, p)
		default:
			t.Watches.AddChild(p, w)
		}
	}
	for _, p := range ws.Persistent {
		t.Watches.AddPersistent(p, w, false)
	}
	for _, p := range ws.Recursive {
		t.Watches.AddPersistent(p, w, true)
	}
}
