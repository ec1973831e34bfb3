package seed

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// epoch is the zxid epoch of the test trees: above the term a fresh member starts in.
const epoch = 7

// testTree builds a tree as an ensemble in epoch 7 would have it: nested
// nodes with data and ACLs, updated ones (versions), sequential children
// (cversion), a container, a TTL node and ephemerals of two sessions. It
// returns the tree and its last zxid.
func testTree(t *testing.T) (*datatree.Tree, uint64) {
	t.Helper()
	tree := datatree.New()
	tree.ExtendedTypes = true
	zxid := int64(epoch << 32)
	now := int64(1_700_000_000_000)
	next := func() (int64, int64) { zxid++; now += 1000; return zxid, now }
	super := datatree.Auth{Super: true}
	acl := []wire.ACL{{Perms: wire.PermRead, ID: wire.Id{Scheme: "world", ID: "anyone"}},
		{Perms: wire.PermAll, ID: wire.Id{Scheme: "digest", ID: datatree.DigestID("app", "secret")}}}
	create := func(path string, data []byte, flags int32, sid int64) string {
		z, n := next()
		op := datatree.CreateOp{Type: wire.OpCreate2, Path: path, Data: data, ACL: acl, Flags: flags, TTL: -1}
		if wire.IsTTL(flags) {
			op.TTL = 60000
		}
		p, _, code := tree.Create(z, n, sid, super, op)
		if code != wire.ErrOK {
			t.Fatalf("create %s: %v", path, code)
		}
		return p
	}
	create("/app", []byte("root of the app"), wire.ModePersistent, 0)
	for i := range 20 {
		create(fmt.Sprintf("/app/n%02d", i), []byte(fmt.Sprint("value ", i)), wire.ModePersistent, 0)
	}
	for i := range 5 {
		z, n := next()
		if _, code := tree.SetData(z, n, super, fmt.Sprintf("/app/n%02d", i), []byte(fmt.Sprint("updated ", i)), -1); code != wire.ErrOK {
			t.Fatalf("set: %v", code)
		}
	}
	create("/queue", nil, wire.ModePersistent, 0)
	for range 7 {
		create("/queue/item-", []byte("job"), wire.ModePersistentSequential, 0)
	}
	if code := tree.Delete(zxid+1, super, "/queue/item-0000000002", -1); code != wire.ErrOK {
		t.Fatalf("delete: %v", code)
	}
	next()
	create("/box", nil, wire.ModeContainer, 0)
	create("/box/inside", []byte("x"), wire.ModePersistent, 0)
	create("/ttl", []byte("lives"), wire.ModePersistentWithTTL, 0)
	create("/locks", nil, wire.ModePersistent, 0)
	create("/locks/held-by-a", []byte("a"), wire.ModeEphemeral, 0x100000001)
	create("/locks/held-by-b-", []byte("b"), wire.ModeEphemeralSequential, 0x100000002)
	create("/app/n03/eph", []byte("a"), wire.ModeEphemeral, 0x100000001)
	create("/app/big", make([]byte, 900<<10), wire.ModePersistent, 0)
	return tree, uint64(zxid)
}

// znode is what a client reads of one znode.
type znode struct {
	Data []byte
	Stat wire.Stat
	ACL  []wire.ACL
}

// dumpTree reads every znode of the tree as a client would see it.
func dumpTree(t *testing.T, tree *datatree.Tree) map[string]znode {
	t.Helper()
	tree.RLock()
	defer tree.RUnlock()
	super := datatree.Auth{Super: true}
	out := map[string]znode{}
	var walk func(p string)
	walk = func(p string) {
		data, st, code := tree.GetData(p, super, nil)
		if code != wire.ErrOK {
			t.Fatalf("get %s: %v", p, code)
		}
		acl, _, _ := tree.GetACL(p, super)
		if data == nil {
			data = []byte{}
		}
		out[p] = znode{Data: data, Stat: st, ACL: acl}
		kids, _, _ := tree.GetChildren(p, super, nil)
		for _, k := range kids {
			if p == "/" {
				walk("/" + k)
			} else {
				walk(p + "/" + k)
			}
		}
	}
	walk("/")
	return out
}

func diffTrees(t *testing.T, what string, want, got map[string]znode) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, p)
		case !reflect.DeepEqual(w, g):
			t.Errorf("%s: %s differs:\n want %+v %v %q\n  got %+v %v %q", what, p, w.Stat, w.ACL, trim(w.Data), g.Stat, g.ACL, trim(g.Data))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: %s is there, not expected", what, p)
		}
	}
}

func trim(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
