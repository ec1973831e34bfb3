package zkimport

import (
	"encoding/binary"
	"hash/crc32"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// digestVersion is DigestCalculator.DIGEST_VERSION in ZooKeeper 3.8.
const digestVersion = 2

// znode is a DataNode: stat holds StatPersisted's fields (Cversion counts
// child creations; DataLength and NumChildren are unused).
type znode struct {
	data     []byte
	acl      []wire.ACL
	stat     wire.Stat
	children map[string]struct{}
}

// model is the DataTree being rebuilt. Paths are absolute; the root is "/"
// (ZooKeeper's nodes map holds it as "" too). digest is the tree digest
// (NodeHashMapImpl with DigestCalculator), kept up to date on every change.
type model struct {
	nodes      map[string]*znode
	ephemerals map[int64]map[string]struct{}
	sessions   map[int64]int32
	digest     int64
}

// newModel returns an empty model sized for about hint znodes.
func newModel(hint int) *model {
	return &model{nodes: make(map[string]*znode, hint), ephemerals: map[int64]map[string]struct{}{}, sessions: map[int64]int32{}}
}

// nodeDigest is DigestCalculator.calculateDigest: nodes under /zookeeper/
// count 0, the root is hashed as "".
func nodeDigest(path string, n *znode) int64 {
	if strings.HasPrefix(path, "/zookeeper/") {
		return 0
	}
	if path == "/" {
		path = ""
	}
	var b [60]byte
	s := &n.stat
	binary.BigEndian.PutUint64(b[0:], uint64(s.Czxid))
	binary.BigEndian.PutUint64(b[8:], uint64(s.Mzxid))
	binary.BigEndian.PutUint64(b[16:], uint64(s.Pzxid))
	binary.BigEndian.PutUint64(b[24:], uint64(s.Ctime))
	binary.BigEndian.PutUint64(b[32:], uint64(s.Mtime))
	binary.BigEndian.PutUint32(b[40:], uint32(s.Version))
	binary.BigEndian.PutUint32(b[44:], uint32(s.Cversion))
	binary.BigEndian.PutUint32(b[48:], uint32(s.Aversion))
	binary.BigEndian.PutUint64(b[52:], uint64(s.EphemeralOwner))
	h := crc32.NewIEEE()
	_, _ = h.Write([]byte(path))
	_, _ = h.Write(n.data)
	_, _ = h.Write(b[:])
	return int64(h.Sum32())
}

// change brackets a mutation of the node at path (preChange/postChange).
func (m *model) change(path string, n *znode, f func()) {
	m.digest -= nodeDigest(path, n)
	f()
	m.digest += nodeDigest(path, n)
}

// put adds a node (NodeHashMap.put) and indexes its owner.
func (m *model) put(path string, n *znode) {
	m.nodes[path] = n
	m.digest += nodeDigest(path, n)
	if isSessionOwner(n.stat.EphemeralOwner) {
		s := m.ephemerals[n.stat.EphemeralOwner]
		if s == nil {
			s = map[string]struct{}{}
			m.ephemerals[n.stat.EphemeralOwner] = s
		}
		s[path] = struct{}{}
	}
}

func (m *model) del(path string, n *znode) {
	delete(m.nodes, path)
	m.digest -= nodeDigest(path, n)
	if s := m.ephemerals[n.stat.EphemeralOwner]; s != nil {
		delete(s, path)
	}
}

// isSessionOwner: an ephemeralOwner that is a session, not a container or TTL
// marker (EphemeralType.get with extended types on).
func isSessionOwner(owner int64) bool {
	const ttlMask = -0x100000000000000
	return owner != 0 && owner != datatree.ContainerOwner && owner&ttlMask != ttlMask
}

// split is path.lastIndexOf('/') as DataTree uses it: the parent of "/a" is
// the root.
func split(path string) (parent, child string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", false
	}
	parent = path[:i]
	if parent == "" {
		parent = "/"
	}
	return parent, path[i+1:], true
}
