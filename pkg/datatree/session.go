package datatree

import "sort"

func sortStrings(s []string) { sort.Strings(s) }

// KillSession deletes, at zxid, every ephemeral node sid owns (closeSession
// and expiry), firing NodeDeleted and NodeChildrenChanged. Paths are deleted
// in sorted order so every member fires the same events in the same order.
func (t *Tree) KillSession(zxid, sid int64) []string {
	paths := make([]string, 0, len(t.ephemerals[sid]))
	for p := range t.ephemerals[sid] {
		paths = append(paths, p)
	}
	sortStrings(paths)
	for _, p := range paths {
		n := t.lookup(p)
		if n == nil {
			continue
		}
		parentPath, _ := parentAndName(p)
		t.remove(p, parentPath, t.lookup(parentPath), n, zxid)
	}
	return paths
}
