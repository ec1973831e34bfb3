package datatree

import (
	"fmt"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// CreateOp is a create, create2, createContainer or createTTL request.
// TTL is -1 for every op but createTTL.
type CreateOp struct {
	Type  int32
	Path  string
	Data  []byte
	ACL   []wire.ACL
	Flags int32
	TTL   int64
}

// ValidateCreateMode performs the first create checks (CreateMode.fromFlag,
// validateCreateRequest): unknown flags, TTLs without extended types, and
// TTL values. The server runs it before its session checks, as ZooKeeper does.
func (t *Tree) ValidateCreateMode(op CreateOp) wire.ErrCode {
	if !wire.ValidCreateMode(op.Flags) {
		return wire.ErrBadArguments
	}
	if wire.IsTTL(op.Flags) {
		if !t.ExtendedTypes {
			return wire.ErrUnimplemented
		}
		if op.TTL <= 0 || op.TTL > MaxTTL {
			return wire.ErrBadArguments
		}
	} else if op.TTL >= 0 {
		return wire.ErrBadArguments
	}
	return wire.ErrOK
}

// Create applies a create of any kind. It returns the created path (with its
// sequence suffix) and the new node's stat.
func (t *Tree) Create(zxid, now, sid int64, auth Auth, op CreateOp) (string, wire.Stat, wire.ErrCode) {
	if code := t.ValidateCreateMode(op); code != wire.ErrOK {
		return "", wire.Stat{}, code
	}
	path := op.Path
	slash := strings.LastIndexByte(path, '/')
	if slash == -1 || strings.IndexByte(path, 0) != -1 {
		return "", wire.Stat{}, wire.ErrBadArguments
	}
	acl, code := FixupACL(op.ACL, auth, t.Providers)
	if code != wire.ErrOK {
		return "", wire.Stat{}, code
	}
	parentPath := path[:slash]
	if parentPath == "" {
		parentPath = RootPath
	}
	parent := t.lookup(parentPath)
	if parent == nil {
		return "", wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(parent.stat.acl), wire.PermCreate, auth) {
		return "", wire.Stat{}, wire.ErrNoAuth
	}
	if wire.IsSequential(op.Flags) {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if !ValidPath(path) {
		return "", wire.Stat{}, wire.ErrBadArguments
	}
	if t.lookup(path) != nil {
		return "", wire.Stat{}, wire.ErrNodeExists
	}
	if ownerIsSession(parent.stat.EphemeralOwner) {
		return "", wire.Stat{}, wire.ErrNoChildrenForEphemerals
	}
	var owner int64
	switch {
	case wire.IsEphemeral(op.Flags):
		owner = sid
	case op.Type == wire.OpCreateContainer || wire.IsContainer(op.Flags):
		owner = ContainerOwner
	case wire.IsTTL(op.Flags):
		owner = TTLOwner(op.TTL)
	}
	n := &node{
		data: op.Data,
		stat: nodeStat{Czxid: zxid, Mzxid: zxid, Pzxid: zxid, Ctime: now, Mtime: now, EphemeralOwner: owner, acl: t.acls.intern(acl)},
	}
	_, name := parentAndName(path)
	t.insert(path, parentPath, name, parent, n, zxid)
	return path, t.statOf(n), wire.ErrOK
}

func (t *Tree) insert(path, parentPath, name string, parent, n *node, zxid int64) {
	oldParent := parent.stat
	t.attach(parent, name, n)
	parent.stat.Cversion++
	parent.stat.Pzxid = zxid
	t.index(path, n)
	t.dataSize += int64(len(path) + len(n.data))
	t.record(func() {
		t.detach(parent, name)
		parent.stat = oldParent
		t.unindex(path, n)
		t.acls.release(n.stat.acl)
		t.dataSize -= int64(len(path) + len(n.data))
	})
	t.emit(pendingEvent{path: path, parent: parentPath, kind: wire.OpCreate, acl: t.acls.list(n.stat.acl), parentACL: t.acls.list(parent.stat.acl)})
}

func (t *Tree) index(path string, n *node) {
	switch owner := n.stat.EphemeralOwner; {
	case owner == 0:
	case owner == ContainerOwner:
		t.containers[path] = struct{}{}
	case owner&ttlOwnerMask == ttlOwnerMask:
		t.ttls[path] = struct{}{}
	default:
		s := t.ephemerals[owner]
		if s == nil {
			s = map[string]struct{}{}
			t.ephemerals[owner] = s
		}
		s[path] = struct{}{}
	}
}

func (t *Tree) unindex(path string, n *node) {
	switch owner := n.stat.EphemeralOwner; {
	case owner == 0:
	case owner == ContainerOwner:
		delete(t.containers, path)
	case owner&ttlOwnerMask == ttlOwnerMask:
		delete(t.ttls, path)
	default:
		if s := t.ephemerals[owner]; s != nil {
			delete(s, path)
			if len(s) == 0 {
				delete(t.ephemerals, owner)
			}
		}
	}
}

// Delete applies a delete.
func (t *Tree) Delete(zxid int64, auth Auth, path string, version int32) wire.ErrCode {
	slash := strings.LastIndexByte(path, '/')
	if slash == -1 || strings.IndexByte(path, 0) != -1 || isSpecialPath(path) {
		return wire.ErrBadArguments
	}
	parentPath := path[:slash]
	if parentPath == "" {
		parentPath = RootPath
	}
	parent := t.lookup(parentPath)
	if parent == nil {
		return wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(parent.stat.acl), wire.PermDelete, auth) {
		return wire.ErrNoAuth
	}
	n := t.lookup(path)
	if n == nil {
		return wire.ErrNoNode
	}
	if version != -1 && version != n.stat.Version {
		return wire.ErrBadVersion
	}
	if n.numChildren() > 0 {
		return wire.ErrNotEmpty
	}
	t.remove(path, parentPath, parent, n, zxid)
	return wire.ErrOK
}

func (t *Tree) remove(path, parentPath string, parent, n *node, zxid int64) {
	_, name := parentAndName(path)
	oldParent := parent.stat
	acl := t.acls.list(n.stat.acl) // before the release below can free its slot
	t.detach(parent, name)
	if zxid > parent.stat.Pzxid {
		parent.stat.Pzxid = zxid
	}
	t.unindex(path, n)
	t.dataSize -= int64(len(path) + len(n.data))
	if t.recording() {
		t.record(func() {
			t.attach(parent, name, n)
			parent.stat = oldParent
			t.index(path, n)
			t.dataSize += int64(len(path) + len(n.data))
		})
		t.onCommit(func() { t.acls.release(n.stat.acl) })
	} else {
		t.acls.release(n.stat.acl)
	}
	t.emit(pendingEvent{path: path, parent: parentPath, kind: wire.OpDelete, acl: acl, parentACL: t.acls.list(parent.stat.acl)})
}

// SetData applies a setData and returns the node's new stat.
func (t *Tree) SetData(zxid, now int64, auth Auth, path string, data []byte, version int32) (wire.Stat, wire.ErrCode) {
	if !ValidPath(path) {
		return wire.Stat{}, wire.ErrBadArguments
	}
	n := t.lookup(path)
	if n == nil {
		return wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermWrite, auth) {
		return wire.Stat{}, wire.ErrNoAuth
	}
	if version != -1 && version != n.stat.Version {
		return wire.Stat{}, wire.ErrBadVersion
	}
	oldData, oldStat := n.data, n.stat
	n.data = data
	n.stat.Version++
	n.stat.Mzxid = zxid
	n.stat.Mtime = now
	t.dataSize += int64(len(data) - len(oldData))
	t.record(func() {
		t.dataSize -= int64(len(n.data) - len(oldData))
		n.data, n.stat = oldData, oldStat
	})
	t.emit(pendingEvent{path: path, kind: wire.OpSetData, acl: t.acls.list(n.stat.acl)})
	return t.statOf(n), wire.ErrOK
}

// SetACL applies a setACL and returns the node's new stat.
func (t *Tree) SetACL(auth Auth, path string, acl []wire.ACL, version int32) (wire.Stat, wire.ErrCode) {
	if !ValidPath(path) {
		return wire.Stat{}, wire.ErrBadArguments
	}
	fixed, code := FixupACL(acl, auth, t.Providers)
	if code != wire.ErrOK {
		return wire.Stat{}, code
	}
	n := t.lookup(path)
	if n == nil {
		return wire.Stat{}, wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermAdmin, auth) {
		return wire.Stat{}, wire.ErrNoAuth
	}
	if version != -1 && version != n.stat.Aversion {
		return wire.Stat{}, wire.ErrBadVersion
	}
	oldACL, oldStat := n.stat.acl, n.stat
	n.stat.acl = t.acls.intern(fixed)
	n.stat.Aversion++
	if t.recording() {
		t.record(func() { t.acls.release(n.stat.acl); n.stat = oldStat })
		t.onCommit(func() { t.acls.release(oldACL) })
	} else {
		t.acls.release(oldACL)
	}
	return t.statOf(n), wire.ErrOK
}

// Check is the version check of a multi.
func (t *Tree) Check(auth Auth, path string, version int32) wire.ErrCode {
	if !ValidPath(path) {
		return wire.ErrBadArguments
	}
	n := t.lookup(path)
	if n == nil {
		return wire.ErrNoNode
	}
	if !CheckACL(t.acls.list(n.stat.acl), wire.PermRead, auth) {
		return wire.ErrNoAuth
	}
	if version != -1 && version != n.stat.Version {
		return wire.ErrBadVersion
	}
	return wire.ErrOK
}
