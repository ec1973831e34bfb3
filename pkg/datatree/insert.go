package datatree

import (
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Insert places a node exactly as another server persisted it, for importers
// (pkg/zkimport): stat is ZooKeeper's StatPersisted (Cversion counts child
// creations; DataLength and NumChildren are ignored, they are derived). The
// parent must exist and is left untouched (its stat already accounts for its
// children). On an existing path (the root and /zookeeper/quota, which every
// tree has) Insert replaces data, ACL and stat and keeps the children. No
// watch fires. Call it write-locked, before the tree serves.
func (t *Tree) Insert(path string, data []byte, acl []wire.ACL, stat wire.Stat) error {
	if !ValidPath(path) || path == ConfigPath || path == ProcPath {
		return fmt.Errorf("datatree: cannot insert %q", path)
	}
	if data == nil {
		data = []byte{}
	}
	if old := t.lookup(path); old != nil {
		t.unindex(path, old)
		t.acls.release(old.stat.acl)
		t.dataSize += int64(len(data) - len(old.data))
		old.data, old.stat = data, packStat(stat)
		old.stat.acl = t.acls.intern(acl)
		t.index(path, old)
		return nil
	}
	parentPath, name := parentAndName(path)
	parent := t.lookup(parentPath)
	if parent == nil {
		return fmt.Errorf("datatree: insert %s: no parent", path)
	}
	if ownerIsSession(parent.stat.EphemeralOwner) {
		return fmt.Errorf("datatree: insert %s: parent is ephemeral", path)
	}
	n := &node{data: data, stat: packStat(stat)}
	n.stat.acl = t.acls.intern(acl)
	t.attach(parent, name, n)
	t.index(path, n)
	t.dataSize += int64(len(path) + len(data))
	return nil
}
