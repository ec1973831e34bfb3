package datatree

import (
	"strings"

	"github.com/zkensemble/zkensemble/pkg/watches"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// The read methods must be called with the tree read-locked (RLock). A nil
// watcher registers no watch. Like ZooKeeper, reads do not validate paths: a
// malformed path is simply not found.

// GetData returns a node's data and stat; with w it sets a data watch.
func (t *Tree) GetData(path string, auth Auth, w watches.Watcher) ([]byte, wire.Stat, wire.ErrCode) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermRead, auth) {
		return nil, wire.Stat{}, wire.ErrNoAuth
	}
	if w != nil {
		t.Watches.AddData(path, w)
	}
	return n.data, t.statOf(n), wire.ErrOK
}

// Exists returns a node's stat. With w it sets a data watch even when the
// node is missing, so the caller hears of its creation.
func (t *Tree) Exists(path string, w watches.Watcher) (wire.Stat, wire.ErrCode) {
	if strings.IndexByte(path, 0) != -1 {
		return wire.Stat{}, wire.ErrBadArguments
	}
	if w != nil {
		t.Watches.AddData(path, w)
	}
	n := t.lookup(path)
	if n == nil {
		return wire.Stat{}, wire.ErrNoNode
	}
	return t.statOf(n), wire.ErrOK
}

// GetChildren returns a node's children (sorted by name up to
// maxListChildren, in map order beyond: no order clients may rely on, as
// ZooKeeper's HashSet) and its stat; with w it sets a child watch.
func (t *Tree) GetChildren(path string, auth Auth, w watches.Watcher) ([]string, wire.Stat, wire.ErrCode) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermRead, auth) {
		return nil, wire.Stat{}, wire.ErrNoAuth
	}
	if w != nil {
		t.Watches.AddChild(path, w)
	}
	return n.children.names(), t.statOf(n), wire.ErrOK
}

// GetACL returns a node's ACL. It needs READ or ADMIN; without ADMIN,
// digest ids come back masked as user:x, as ZooKeeper 3.8 does.
func (t *Tree) GetACL(path string, auth Auth) ([]wire.ACL, wire.Stat, wire.ErrCode) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermRead|wire.PermAdmin, auth) {
		return nil, wire.Stat{}, wire.ErrNoAuth
	}
	acl := t.acls.list(n.stat.acl)
	if !CheckACL(acl, wire.PermAdmin, auth) {
		masked := make([]wire.ACL, len(acl))
		for i, a := range acl {
			masked[i] = a
			if a.ID.Scheme == "digest" {
				user, _, _ := strings.Cut(a.ID.ID, ":")
				masked[i].ID.ID = user + ":x"
			}
		}
		acl = masked
	}
	return acl, t.statOf(n), wire.ErrOK
}

// AllChildrenNumber counts every descendant of path.
func (t *Tree) AllChildrenNumber(path string, auth Auth) (int32, wire.ErrCode) {
	n := t.lookup(path)
	if n == nil {
		return 0, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermRead, auth) {
		return 0, wire.ErrNoAuth
	}
	if path == RootPath {
		return int32(t.NodeCount() - 2), wire.ErrOK
	}
	return int32(t.descendants(n)), wire.ErrOK
}

func (t *Tree) descendants(n *node) int {
	total := 0
	_ = n.children.each(func(_ string, cn *node) error {
		total++
		if cn.numChildren() > 0 {
			total += t.descendants(cn)
		}
		return nil
	})
	return total
}

// Ephemerals returns the session's ephemeral paths that start with prefix
// ("" and "/" mean all), sorted.
func (t *Tree) Ephemerals(sid int64, prefix string) []string {
	out := []string{}
	for p := range t.ephemerals[sid] {
		if prefix == "" || prefix == "/" || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sortStrings(out)
	return out
}

// Stat returns a node's stat, for callers that already hold the lock.
func (t *Tree) Stat(path string) (wire.Stat, bool) {
	n := t.lookup(path)
	if n == nil {
		return wire.Stat{}, false
	}
	return t.statOf(n), true
}
