package datatree

import "github.com/zkensemble/zkensemble/pkg/wire"

// node is one znode, packed to 96 bytes (a Go size class): a million small
// znodes are mostly this struct, so every field counts. DataLength and
// NumChildren are derived (statOf), the ACL is an index into the tree's
// interned lists, and a childless node has no child set at all.
type node struct {
	data     []byte
	children *childSet
	stat     nodeStat
}

// nodeStat is the stat as ZooKeeper persists it (StatPersisted): Cversion
// counts child creations (it also numbers sequential children). The node's
// ACL reference fills what would be padding; an undo that restores a whole
// nodeStat restores the ACL reference as it was at that point too, which is
// right because undos run in reverse order.
type nodeStat struct {
	Czxid, Mzxid, Ctime, Mtime, Pzxid, EphemeralOwner int64
	Version, Cversion, Aversion                       int32
	acl                                               aclRef
}

func packStat(s wire.Stat) nodeStat {
	return nodeStat{Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime, Pzxid: s.Pzxid,
		EphemeralOwner: s.EphemeralOwner, Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion}
}

// persisted is the stat as snapshots hold it: DataLength and NumChildren 0.
func (s nodeStat) persisted() wire.Stat {
	return wire.Stat{Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime, Pzxid: s.Pzxid,
		EphemeralOwner: s.EphemeralOwner, Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion}
}

func (n *node) numChildren() int { return n.children.len() }
