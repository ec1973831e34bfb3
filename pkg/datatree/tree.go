package datatree

import (
	"math"
	"strings"
	"sync"

	"github.com/zkensemble/zkensemble/pkg/watches"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Special paths ZooKeeper creates in every tree.
const (
	RootPath   = "/"
	ProcPath   = "/zookeeper"
	QuotaPath  = "/zookeeper/quota"
	ConfigPath = "/zookeeper/config"
)

// Ephemeral owners that mark containers and TTL nodes (EphemeralType).
const (
	ContainerOwner int64 = math.MinInt64
	ttlOwnerMask         = int64(-0x100000000000000) // 0xFF00000000000000
	MaxTTL               = int64(1)<<40 - 1
)

// Tree is the znode tree. See the package comment for locking.
type Tree struct {
	mu sync.RWMutex

	root       *node
	count      int // nodes, the root included
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	acls       *aclCache
	dataSize   int64

	// Watches is fired during writes; connections register through it while reading.
	Watches *watches.Manager

	// ExtendedTypes enables TTL nodes (zookeeper.extendedTypesEnabled).
	ExtendedTypes bool
	// Providers are the registered authentication providers whose ACL
	// schemes are accepted (authProvider.N).
	Providers Providers

	pending []pendingEvent // events of the write in progress (deferred inside multi)
	undoLog undoLog
	deferEv bool
}

type pendingEvent struct {
	path, parent string
	kind         int32 // wire.OpCreate, wire.OpDelete, wire.OpSetData
	// acl and parentACL are the node's and its parent's ACL when the change
	// was made (a deleted node's as it was), for persistent watchers.
	acl, parentACL []wire.ACL
}

// New returns a tree with ZooKeeper's initial nodes.
func New() *Tree {
	t := &Tree{
		ephemerals: map[int64]map[string]struct{}{},
		containers: map[string]struct{}{},
		ttls:       map[string]struct{}{},
		acls:       newACLCache(),
		Watches:    watches.NewManager(),
	}
	open := t.acls.intern(OpenACLUnsafe)
	t.root = &node{data: []byte{}, stat: nodeStat{acl: open}}
	t.count = 1
	proc := &node{data: []byte{}, stat: nodeStat{acl: t.acls.intern(OpenACLUnsafe)}}
	t.attach(t.root, ProcPath[1:], proc)
	t.attach(proc, "quota", &node{data: []byte{}, stat: nodeStat{acl: t.acls.intern(OpenACLUnsafe)}})
	t.attach(proc, "config", &node{data: []byte{}, stat: nodeStat{acl: t.acls.intern(ReadACLUnsafe), Aversion: -1}})
	// ZooKeeper counts the system nodes too (a fresh tree is 44 bytes), as
	// ReadSnapshot does when it sums every node it reads.
	for _, path := range []string{RootPath, ProcPath, QuotaPath, ConfigPath} {
		t.dataSize += int64(len(path))
	}
	return t
}

// Lock and Unlock bracket writes (the apply loop); RLock and RUnlock bracket reads.
func (t *Tree) Lock()    { t.mu.Lock() }
func (t *Tree) Unlock()  { t.mu.Unlock() }
func (t *Tree) RLock()   { t.mu.RLock() }
func (t *Tree) RUnlock() { t.mu.RUnlock() }

// NodeCount is what `srvr` reports. ZooKeeper's node map holds the root twice
// ("" and "/"), so a fresh tree counts 5; we report the same figure.
func (t *Tree) NodeCount() int { return t.count + 1 }

// ApproximateDataSize is the sum of path and data lengths, as ZooKeeper's.
func (t *Tree) ApproximateDataSize() int64 { return t.dataSize }

// EphemeralCount is the number of ephemeral znodes.
func (t *Tree) EphemeralCount() int {
	n := 0
	for _, s := range t.ephemerals {
		n += len(s)
	}
	return n
}

// statOf is the stat clients see (DataNode.copyStat): cversion counts
// creations and deletions of children, which is 2*creations - children, and
// only a session owner shows as ephemeralOwner (containers and TTL nodes show 0).
func (t *Tree) statOf(n *node) wire.Stat {
	st := n.stat.persisted()
	st.DataLength = int32(len(n.data))
	st.NumChildren = int32(n.numChildren())
	st.Cversion = n.stat.Cversion*2 - st.NumChildren
	if !ownerIsSession(st.EphemeralOwner) {
		st.EphemeralOwner = 0
	}
	return st
}

// parentAndName splits an absolute path; the parent of "/a" is "/".
func parentAndName(p string) (string, string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return RootPath, p[1:]
	}
	return p[:i], p[i+1:]
}

func (t *Tree) emit(ev pendingEvent) {
	t.pending = append(t.pending, ev)
	if !t.deferEv {
		t.flush()
	}
}

// flush fires the watches of the pending events in order.
func (t *Tree) flush() {
	for _, ev := range t.pending {
		switch ev.kind {
		case wire.OpCreate:
			t.Watches.TriggerData(ev.path, wire.EventNodeCreated, readableBy(ev.acl))
			t.Watches.TriggerChild(ev.parent, wire.EventNodeChildrenChanged, nil, readableBy(ev.parentACL))
		case wire.OpDelete:
			fired := t.Watches.TriggerData(ev.path, wire.EventNodeDeleted, readableBy(ev.acl))
			t.Watches.TriggerChild(ev.path, wire.EventNodeDeleted, fired, readableBy(ev.acl))
			t.Watches.TriggerChild(ev.parent, wire.EventNodeChildrenChanged, nil, readableBy(ev.parentACL))
		case wire.OpSetData:
			t.Watches.TriggerData(ev.path, wire.EventNodeDataChanged, readableBy(ev.acl))
		}
	}
	t.pending = t.pending[:0]
}

// Authenticated is a watcher that has proven identities (a client
// connection); persistent watchers that are not see every event.
type Authenticated interface {
	// WatchAuth returns the watcher's identities now. It is called while the
	// tree is locked, so it must not block.
	WatchAuth() Auth
}

// readableBy is the filter of persistent watchers for a node with acl: only
// those that may READ it hear of its changes (CVE-2024-23944).
func readableBy(acl []wire.ACL) watches.Filter {
	return func(w watches.Watcher) bool {
		a, ok := w.(Authenticated)
		return !ok || CheckACL(acl, wire.PermRead, a.WatchAuth())
	}
}

func isSpecialPath(p string) bool {
	return p == RootPath || p == ProcPath || p == QuotaPath || p == ConfigPath
}

func ownerIsSession(owner int64) bool {
	return owner != 0 && owner != ContainerOwner && owner&ttlOwnerMask != ttlOwnerMask
}

// TTLOwner encodes a TTL as an ephemeralOwner value.
func TTLOwner(ttl int64) int64 { return ttlOwnerMask | ttl }

func ttlOf(owner int64) (int64, bool) {
	if owner == ContainerOwner || owner&ttlOwnerMask != ttlOwnerMask {
		return 0, false
	}
	return owner &^ ttlOwnerMask, true
}
