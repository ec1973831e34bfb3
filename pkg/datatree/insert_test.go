package datatree

import (
	"bytes"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

func TestInsertKeepsTheGivenStat(t *testing.T) {
	digest := []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "digest", ID: "u:x"}}}
	tr := New()
	// The parent's stored cversion 3 with 1 child shows as 3*2-1 = 5.
	if err := tr.Insert("/a", []byte("d"), OpenACLUnsafe, wire.Stat{Czxid: 5, Mzxid: 9, Pzxid: 12, Ctime: 100, Mtime: 200, Version: 4, Cversion: 3, Aversion: 2}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Insert("/a/c", nil, digest, wire.Stat{Czxid: 12, Mzxid: 12, Pzxid: 12, EphemeralOwner: ContainerOwner}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Insert("/", nil, OpenACLUnsafe, wire.Stat{Pzxid: 5, Cversion: 2}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want wire.Stat
		data string
		acl  []wire.ACL
	}{
		{"/a", wire.Stat{Czxid: 5, Mzxid: 9, Pzxid: 12, Ctime: 100, Mtime: 200, Version: 4, Cversion: 5, Aversion: 2, DataLength: 1, NumChildren: 1}, "d", OpenACLUnsafe},
		{"/a/c", wire.Stat{Czxid: 12, Mzxid: 12, Pzxid: 12}, "", digest},
		{"/", wire.Stat{Pzxid: 5, Cversion: 2*2 - 2, NumChildren: 2}, "", OpenACLUnsafe},
	}
	super := Auth{Super: true}
	for _, tc := range tests {
		data, st, code := tr.GetData(tc.path, super, nil)
		if code != wire.ErrOK || st != tc.want || !bytes.Equal(data, []byte(tc.data)) {
			t.Errorf("%s: %q %+v %v, want %q %+v", tc.path, data, st, code, tc.data, tc.want)
		}
		acl, _, _ := tr.GetACL(tc.path, super)
		if len(acl) != 1 || acl[0] != tc.acl[0] {
			t.Errorf("%s: acl %v, want %v", tc.path, acl, tc.acl)
		}
	}
	if got := tr.ExpiredContainersAndTTLs(0); len(got) != 0 {
		t.Errorf("a container that never had children expired: %v", got)
	}
}

func TestInsertRefuses(t *testing.T) {
	tr := New()
	if err := tr.Insert("/e", nil, OpenACLUnsafe, wire.Stat{EphemeralOwner: 42}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/missing/child", "/e/child", ConfigPath, ProcPath, "relative", "/a/"} {
		if err := tr.Insert(p, nil, OpenACLUnsafe, wire.Stat{}); err == nil {
			t.Errorf("Insert(%q) accepted", p)
		}
	}
}
