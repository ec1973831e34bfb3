package zkimport

import (
	"fmt"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// apply is DataTree.processTxn (with FileTxnSnapLog.processTransaction's
// session bookkeeping). Errors a replay over a fuzzy snapshot produces
// (NoNode, NodeExists) are ignored as ZooKeeper ignores them.
func (m *model) apply(h txnHeader, t *txn) error {
	switch h.Type {
	case wire.OpCreateSession:
		m.sessions[h.ClientID] = t.Timeout
	case wire.OpCloseSession:
		delete(m.sessions, h.ClientID)
		m.killSession(h.ClientID, h.Zxid, t.Paths)
	case wire.OpMulti:
		m.applyMulti(h, t.Sub)
	case wire.OpCheck:
		// A top-level check is not a transaction ZooKeeper can read back.
		return fmt.Errorf("zxid %#x: %w %d", h.Zxid, errUnknownTxn, h.Type)
	default:
		_ = m.applyOne(h, h.Type, t) // its error is ZooKeeper's to ignore (see above)
	}
	return nil
}

// applyOne applies a create, delete, setData, setACL or error record; it
// returns ZooKeeper's error code.
func (m *model) applyOne(h txnHeader, typ int32, t *txn) wire.ErrCode {
	switch typ {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
		owner := int64(0)
		switch {
		case typ == wire.OpCreateTTL:
			owner = datatree.TTLOwner(t.TTL)
		case typ == wire.OpCreateContainer:
			owner = datatree.ContainerOwner
		case t.Ephemeral:
			owner = h.ClientID
		}
		code := m.createNode(t.Path, t.Data, t.ACL, owner, t.ParentCVersion, h.Zxid, h.Time)
		if typ == wire.OpCreate && code == wire.ErrNodeExists {
			if parent, _, ok := split(t.Path); ok {
				m.setCversionPzxid(parent, t.ParentCVersion, h.Zxid)
			}
		}
		return code
	case wire.OpDelete, wire.OpDeleteContainer:
		return m.deleteNode(t.Path, h.Zxid)
	case wire.OpSetData, wire.OpReconfig:
		n := m.nodes[t.Path]
		if n == nil {
			return wire.ErrNoNode
		}
		m.change(t.Path, n, func() {
			n.data = t.Data
			n.stat.Mtime, n.stat.Mzxid, n.stat.Version = h.Time, h.Zxid, t.Version
		})
	case wire.OpSetACL:
		n := m.nodes[t.Path]
		if n == nil {
			return wire.ErrNoNode
		}
		m.change(t.Path, n, func() { n.stat.Aversion, n.acl = t.Version, t.ACL })
	case wire.OpError:
		return wire.ErrCode(t.Err)
	}
	return wire.ErrOK
}

// applyMulti: if any sub-record is an error the multi failed and nothing of
// it applies; else each applies in order.
func (m *model) applyMulti(h txnHeader, subs []subTxn) {
	for _, s := range subs {
		if s.Type == wire.OpError {
			return
		}
	}
	for i := range subs {
		_ = m.applyOne(h, subs[i].Type, &subs[i].Txn) // ignored, as a replay ignores it
	}
}

func (m *model) createNode(path string, data []byte, acl []wire.ACL, owner int64, parentCVersion int32, zxid, time int64) wire.ErrCode {
	parentPath, child, ok := split(path)
	if !ok || child == "" {
		return wire.ErrBadArguments
	}
	parent := m.nodes[parentPath]
	if parent == nil {
		return wire.ErrNoNode
	}
	if _, exists := parent.children[child]; exists {
		return wire.ErrNodeExists
	}
	m.change(parentPath, parent, func() {
		if parentCVersion == -1 {
			parentCVersion = parent.stat.Cversion + 1
		}
		if parentCVersion > parent.stat.Cversion {
			parent.stat.Cversion, parent.stat.Pzxid = parentCVersion, zxid
		}
		if parent.children == nil {
			parent.children = map[string]struct{}{}
		}
		parent.children[child] = struct{}{}
	})
	m.put(path, &znode{data: data, acl: acl, stat: wire.Stat{
		Czxid: zxid, Mzxid: zxid, Pzxid: zxid, Ctime: time, Mtime: time, EphemeralOwner: owner,
	}})
	return wire.ErrOK
}

func (m *model) deleteNode(path string, zxid int64) wire.ErrCode {
	parentPath, child, ok := split(path)
	if !ok || child == "" {
		return wire.ErrBadArguments
	}
	parent := m.nodes[parentPath]
	if parent == nil {
		return wire.ErrNoNode
	}
	m.change(parentPath, parent, func() {
		delete(parent.children, child)
		if zxid > parent.stat.Pzxid {
			parent.stat.Pzxid = zxid
		}
	})
	n := m.nodes[path]
	if n == nil {
		return wire.ErrNoNode
	}
	m.del(path, n)
	return wire.ErrOK
}

func (m *model) setCversionPzxid(path string, cversion int32, zxid int64) {
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		path = "/"
	}
	n := m.nodes[path]
	if n == nil {
		return
	}
	if cversion == -1 {
		cversion = n.stat.Cversion + 1
	}
	if cversion > n.stat.Cversion {
		m.change(path, n, func() { n.stat.Cversion, n.stat.Pzxid = cversion, zxid })
	}
}

// killSession deletes the paths the closeSession record names, then the
// session's other ephemerals.
func (m *model) killSession(sid, zxid int64, inTxn []string) {
	local := m.ephemerals[sid]
	delete(m.ephemerals, sid)
	for _, p := range inTxn {
		_ = m.deleteNode(p, zxid) // NoNode ignored (DataTree.deleteNodes)
		delete(local, p)
	}
	for _, p := range sortedKeys(local) {
		_ = m.deleteNode(p, zxid) // NoNode ignored (DataTree.deleteNodes)
	}
}
