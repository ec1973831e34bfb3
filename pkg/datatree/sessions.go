package datatree

import "sort"

// DropSessionEphemerals deletes, at zxid, every ephemeral znode a session
// owns (containers and TTL nodes stay), as if all their sessions had expired
// (pkg/seed: a tree restored without its sessions). Owners are taken in
// order so the result does not depend on map order. It returns how many
// znodes were removed. Call it with the tree write-locked.
func (t *Tree) DropSessionEphemerals(zxid int64) int {
	owners := make([]int64, 0, len(t.ephemerals))
	for sid := range t.ephemerals {
		owners = append(owners, sid)
	}
	sort.Slice(owners, func(i, j int) bool { return owners[i] < owners[j] })
	n := 0
	for _, sid := range owners {
		n += len(t.KillSession(zxid, sid))
	}
	return n
}
