package datatree

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

type recorder struct {
	mu     sync.Mutex
	events []wire.WatcherEvent
}

func (r *recorder) Process(ev wire.WatcherEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%d %s", e.Type, e.Path))
	}
	return out
}

var world = Auth{IDs: []wire.Id{{Scheme: "ip", ID: "127.0.0.1"}}}

func mustCreate(t *testing.T, tr *Tree, zxid int64, path string, flags int32) string {
	t.Helper()
	p, _, code := tr.Create(zxid, 1000, 7, world, CreateOp{Type: wire.OpCreate, Path: path, ACL: OpenACLUnsafe, Flags: flags, TTL: -1})
	if code != wire.ErrOK {
		t.Fatalf("create %s: %v", path, code)
	}
	return p
}

func TestCreateChecksInZooKeeperOrder(t *testing.T) {
	tr := New()
	tr.ExtendedTypes = true
	mustCreate(t, tr, 1, "/a", 0)
	mustCreate(t, tr, 2, "/a/e", wire.ModeEphemeral)
	locked := []wire.ACL{{Perms: wire.PermRead, ID: wire.Id{Scheme: "world", ID: "anyone"}}}
	if _, _, code := tr.Create(3, 0, 7, world, CreateOp{Path: "/ro", ACL: locked, TTL: -1}); code != wire.ErrOK {
		t.Fatal(code)
	}
	tests := []struct {
		name string
		op   CreateOp
		want wire.ErrCode
	}{
		{"bad flags before anything else", CreateOp{Path: "no-slash", ACL: nil, Flags: 9, TTL: -1}, wire.ErrBadArguments},
		{"TTL without a TTL mode", CreateOp{Path: "/t", ACL: OpenACLUnsafe, TTL: 5}, wire.ErrBadArguments},
		{"TTL of zero", CreateOp{Path: "/t", ACL: OpenACLUnsafe, Flags: wire.ModePersistentWithTTL, TTL: 0}, wire.ErrBadArguments},
		{"no slash", CreateOp{Path: "a", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrBadArguments},
		{"empty ACL before missing parent", CreateOp{Path: "/x/y", ACL: []wire.ACL{}, TTL: -1}, wire.ErrInvalidACL},
		{"auth ACL without authentication", CreateOp{Path: "/a/b", ACL: []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "auth"}}}, TTL: -1}, wire.ErrInvalidACL},
		{"missing parent", CreateOp{Path: "/x/y", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrNoNode},
		{"no CREATE on parent", CreateOp{Path: "/ro/c", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrNoAuth},
		{"invalid path after parent checks", CreateOp{Path: "/a/", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrBadArguments},
		{"exists", CreateOp{Path: "/a", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrNodeExists},
		{"ephemeral parent", CreateOp{Path: "/a/e/c", ACL: OpenACLUnsafe, TTL: -1}, wire.ErrNoChildrenForEphemerals},
	}
	for _, tc := range tests {
		if _, _, code := tr.Create(10, 0, 7, world, tc.op); code != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, code, tc.want)
		}
	}
	tr.ExtendedTypes = false
	if _, _, code := tr.Create(10, 0, 7, world, CreateOp{Path: "/t", ACL: OpenACLUnsafe, Flags: wire.ModePersistentWithTTL, TTL: 10}); code != wire.ErrUnimplemented {
		t.Errorf("TTL without extended types: %v", code)
	}
}

func TestStatsAndSequentialNames(t *testing.T) {
	tr := New()
	mustCreate(t, tr, 1, "/p", 0)
	if got := mustCreate(t, tr, 2, "/p/s-", wire.ModePersistentSequential); got != "/p/s-0000000000" {
		t.Fatalf("first sequential %s", got)
	}
	mustCreate(t, tr, 3, "/p/x", 0)
	if code := tr.Delete(4, world, "/p/x", -1); code != wire.ErrOK {
		t.Fatal(code)
	}
	// Deletes do not advance the sequence; the reported cversion counts them.
	if got := mustCreate(t, tr, 5, "/p/s-", wire.ModePersistentSequential); got != "/p/s-0000000002" {
		t.Fatalf("sequential after a delete %s", got)
	}
	st, _ := tr.Stat("/p")
	want := wire.Stat{Czxid: 1, Mzxid: 1, Pzxid: 5, Ctime: 1000, Mtime: 1000, Cversion: 4, NumChildren: 2}
	if st != want {
		t.Fatalf("stat\n got %+v\nwant %+v", st, want)
	}
	st, code := tr.SetData(6, 2000, world, "/p", []byte("abc"), 0)
	if code != wire.ErrOK || st.Version != 1 || st.Mzxid != 6 || st.Mtime != 2000 || st.DataLength != 3 {
		t.Fatalf("setData %+v %v", st, code)
	}
	if _, code := tr.SetData(7, 0, world, "/p", nil, 0); code != wire.ErrBadVersion {
		t.Fatalf("stale setData %v", code)
	}
	if st, _ := tr.Stat("/zookeeper"); st.Cversion != -2 || st.NumChildren != 2 {
		t.Fatalf("/zookeeper stat %+v", st)
	}
	if tr.NodeCount() != 5+3 {
		t.Fatalf("node count %d", tr.NodeCount())
	}
}

func TestMultiIsAtomic(t *testing.T) {
	tr := New()
	w := &recorder{}
	tr.Watches.AddChild("/", w)
	mustCreate(t, tr, 1, "/m", 0)
	before := snapshotBytes(t, tr)
	w.events = nil
	tr.Watches.AddData("/m", w)
	tr.Watches.AddChild("/m", w)
	ops := []wire.MultiOp{
		{Type: wire.OpCreate, Req: &wire.CreateRequest{Path: "/m/a", ACL: OpenACLUnsafe}},
		{Type: wire.OpSetData, Req: &wire.SetDataRequest{Path: "/m", Data: []byte("x"), Version: -1}},
		{Type: wire.OpDelete, Req: &wire.DeleteRequest{Path: "/m/a", Version: -1}},
		{Type: wire.OpCheck, Req: &wire.CheckVersionRequest{Path: "/m", Version: 7}},
		{Type: wire.OpCreate, Req: &wire.CreateRequest{Path: "/m/b", ACL: OpenACLUnsafe}},
	}
	results, code := tr.Multi(2, 0, 7, world, ops, nil)
	if code != wire.ErrBadVersion {
		t.Fatalf("multi: %v", code)
	}
	wantErrs := []int32{0, 0, 0, int32(wire.ErrBadVersion), int32(wire.ErrRuntimeInconsistency)}
	for i, r := range results {
		if r.Type != wire.OpError || r.Err != wantErrs[i] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if after := snapshotBytes(t, tr); !bytes.Equal(before, after) {
		t.Fatal("a failed multi changed the tree")
	}
	if len(w.got()) != 0 {
		t.Fatalf("a failed multi fired watches: %v", w.got())
	}
	ops[3] = wire.MultiOp{Type: wire.OpCheck, Req: &wire.CheckVersionRequest{Path: "/m", Version: 1}}
	if _, code := tr.Multi(3, 0, 7, world, ops, nil); code != wire.ErrOK {
		t.Fatalf("multi: %v", code)
	}
	got := w.got()
	want := []string{"4 /m", "3 /m"} // child watch on /m fires on the create; data watch on setData
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func snapshotBytes(t *testing.T, tr *Tree) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	// Re-read and re-write: map order makes the raw bytes differ, the content must not.
	back, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	walkTree(back, func(p string, n *node) {
		paths = append(paths, fmt.Sprintf("%s %q %+v %v", p, n.data, back.statOf(n), back.acls.list(n.stat.acl)))
	})
	sort.Strings(paths)
	return []byte(fmt.Sprint(paths))
}

func TestSnapshotRoundTrip(t *testing.T) {
	tr := New()
	tr.ExtendedTypes = true
	mustCreate(t, tr, 1, "/a", 0)
	mustCreate(t, tr, 2, "/a/e", wire.ModeEphemeral)
	tr.Create(3, 5, 0, world, CreateOp{Type: wire.OpCreateContainer, Path: "/c", ACL: OpenACLUnsafe, Flags: wire.ModeContainer, TTL: -1})
	tr.Create(4, 5, 0, world, CreateOp{Type: wire.OpCreateTTL, Path: "/t", ACL: OpenACLUnsafe, Flags: wire.ModePersistentWithTTL, TTL: 100})
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Ephemerals(7, ""), []string{"/a/e"}) || back.NodeCount() != tr.NodeCount() {
		t.Fatalf("restored: ephemerals %v, nodes %d", back.Ephemerals(7, ""), back.NodeCount())
	}
	if got := back.ExpiredContainersAndTTLs(1000); !reflect.DeepEqual(got, []string{"/t"}) {
		t.Fatalf("expired after restore: %v", got)
	}
	if _, err := ReadSnapshot(bytes.NewReader([]byte("garbage"))); err == nil {
		t.Fatal("garbage accepted as a snapshot")
	}
}

func TestKillSessionAndSetWatches(t *testing.T) {
	tr := New()
	mustCreate(t, tr, 1, "/s", 0)
	mustCreate(t, tr, 2, "/s/e1", wire.ModeEphemeral)
	mustCreate(t, tr, 3, "/s/e2", wire.ModeEphemeral)
	w := &recorder{}
	tr.Watches.AddData("/s/e1", w)
	tr.Watches.AddChild("/s", w)
	if got := tr.KillSession(4, 7); !reflect.DeepEqual(got, []string{"/s/e1", "/s/e2"}) {
		t.Fatalf("killed %v", got)
	}
	if got := w.got(); !reflect.DeepEqual(got, []string{"2 /s/e1", "4 /s"}) {
		t.Fatalf("events %v", got)
	}
	if st, _ := tr.Stat("/s"); st.NumChildren != 0 || st.Pzxid != 4 {
		t.Fatalf("parent after kill %+v", st)
	}
	// SetWatches: the reference's order of catch-up events.
	mustCreate(t, tr, 5, "/p", 0)
	tr.SetData(6, 0, world, "/p", []byte("x"), -1)
	mustCreate(t, tr, 7, "/p/c", 0)
	w2 := &recorder{}
	tr.SetWatches(WatchSet{RelativeZxid: 1, Data: []string{"/p", "/gone"}, Exist: []string{"/p", "/later"}, Child: []string{"/p"}}, w2, w2.Process)
	want := []string{"3 /p", "2 /gone", "1 /p", "4 /p"}
	if got := w2.got(); !reflect.DeepEqual(got, want) {
		t.Fatalf("setWatches events %v, want %v", got, want)
	}
	mustCreate(t, tr, 8, "/later", 0)
	if got := w2.got(); got[len(got)-1] != "1 /later" {
		t.Fatalf("re-registered exist watch did not fire: %v", got)
	}
}

func TestACLs(t *testing.T) {
	alice := Auth{IDs: []wire.Id{{Scheme: "ip", ID: "10.0.0.5"}, {Scheme: "digest", ID: DigestID("alice", "pw")}}}
	tests := []struct {
		name string
		acl  []wire.ACL
		auth Auth
		perm int32
		want bool
	}{
		{"world", OpenACLUnsafe, world, wire.PermWrite, true},
		{"read-only world", ReadACLUnsafe, world, wire.PermWrite, false},
		{"digest match", []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "digest", ID: DigestID("alice", "pw")}}}, alice, wire.PermRead, true},
		{"digest mismatch", []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "digest", ID: DigestID("bob", "pw")}}}, alice, wire.PermRead, false},
		{"ip CIDR", []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "ip", ID: "10.0.0.0/24"}}}, alice, wire.PermRead, true},
		{"ip outside CIDR", []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "ip", ID: "10.0.1.0/24"}}}, alice, wire.PermRead, false},
		{"super", ReadACLUnsafe, Auth{Super: true}, wire.PermAdmin, true},
		{"empty ACL", nil, world, wire.PermAdmin, true},
	}
	for _, tc := range tests {
		if got := CheckACL(tc.acl, tc.perm, tc.auth); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	if DigestID("super", "test") != "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" {
		t.Errorf("digest of super:test is %s", DigestID("super", "test"))
	}
	fixed, code := FixupACL([]wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "auth"}}, OpenACLUnsafe[0], OpenACLUnsafe[0]}, alice, Providers{})
	if code != wire.ErrOK || len(fixed) != 2 || fixed[0].ID.Scheme != "digest" {
		t.Fatalf("fixup %+v %v", fixed, code)
	}
	tr := New()
	tr.Create(1, 0, 0, alice, CreateOp{Path: "/d", ACL: []wire.ACL{{Perms: wire.PermRead, ID: wire.Id{Scheme: "digest", ID: DigestID("alice", "pw")}}}, TTL: -1})
	acl, _, _ := tr.GetACL("/d", alice)
	if acl[0].ID.ID != "alice:x" {
		t.Fatalf("digest not masked without ADMIN: %+v", acl)
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	tr := New()
	mustCreate(t, tr, 1, "/r", 0)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &recorder{}
			for j := 0; j < 500; j++ {
				tr.RLock()
				tr.GetData("/r", world, w)
				tr.GetChildren("/r", world, w)
				tr.RUnlock()
			}
		}()
	}
	for j := int64(0); j < 500; j++ {
		tr.Lock()
		mustCreate(t, tr, 2+j, fmt.Sprintf("/r/n%d", j), 0)
		tr.SetData(2+j, 0, world, "/r", []byte("x"), -1)
		tr.Unlock()
	}
	wg.Wait()
}

func BenchmarkGetData(b *testing.B) {
	tr := New()
	tr.Create(1, 0, 0, world, CreateOp{Path: "/b", Data: make([]byte, 64), ACL: OpenACLUnsafe, TTL: -1})
	b.ReportAllocs()
	for b.Loop() {
		tr.RLock()
		tr.GetData("/b", world, nil)
		tr.RUnlock()
	}
}

func BenchmarkCreate(b *testing.B) {
	tr := New()
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i++
		tr.Create(i, 0, 0, world, CreateOp{Path: fmt.Sprintf("/n%d", i), Data: make([]byte, 16), ACL: OpenACLUnsafe, TTL: -1})
	}
}

// BenchmarkMillionZnodes reports the heap cost per small znode.
func BenchmarkMillionZnodes(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		tr := New()
		mustCreateB(tr, "/m")
		for i := 0; i < 1_000_000; i++ {
			tr.Create(int64(i+2), 0, 0, world, CreateOp{Path: fmt.Sprintf("/m/n%07d", i), Data: []byte("0123456789"), ACL: OpenACLUnsafe, TTL: -1})
		}
		b.ReportMetric(float64(heapInUse()-before)/1e6, "bytes/znode")
		_ = tr.NodeCount()
	}
}

func mustCreateB(tr *Tree, p string) {
	tr.Create(1, 0, 0, world, CreateOp{Path: p, ACL: OpenACLUnsafe, TTL: -1})
}

// walkTree calls f with every node and its path, parents first.
func walkTree(tr *Tree, f func(path string, n *node)) {
	var walk func(path string, n *node)
	walk = func(path string, n *node) {
		f(path, n)
		_ = n.children.each(func(c string, cn *node) error {
			if path == RootPath {
				walk("/"+c, cn)
			} else {
				walk(path+"/"+c, cn)
			}
			return nil
		})
	}
	walk(RootPath, tr.root)
}
