package sessionserver

import (
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// event reads the next frame, which must be a notification.
func (r *rawConn) event() wire.WatcherEvent {
	r.t.Helper()
	h, body := r.reply()
	if h.Xid != wire.XidNotification {
		r.t.Fatalf("expected a notification, got the reply to xid %d", h.Xid)
	}
	var ev wire.WatcherEvent
	if err := ev.Decode(wire.NewDecoder(body)); err != nil {
		r.t.Fatal(err)
	}
	return ev
}

// TestPersistentWatchesHonourACLs (CVE-2024-23944): an anonymous persistent
// or recursive watcher hears nothing of a node it may not READ, not even
// that it was created, changed or deleted; an authorized watcher hears all.
// Standard watches are unchanged (exists needs no permission).
func TestPersistentWatchesHonourACLs(t *testing.T) {
	s := startServer(t, nil)
	digest := []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "digest", ID: datatree.DigestID("alice", "pw")}}}

	writer := dialRaw(t, s.Addr())
	writer.newSession(30000)
	writer.send(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}, &wire.AuthPacket{Scheme: "digest", Auth: []byte("alice:pw")})
	if h, _ := writer.reply(); h.Err != 0 {
		t.Fatalf("auth: %d", h.Err)
	}
	if code, _ := writer.call(1, wire.OpCreate, &wire.CreateRequest{Path: "/sec", ACL: datatree.OpenACLUnsafe}); code != wire.ErrOK {
		t.Fatalf("create /sec: %v", code)
	}

	watchers := map[string]*rawConn{}
	for _, name := range []string{"anonymous", "alice"} {
		r := dialRaw(t, s.Addr())
		r.newSession(30000)
		if name == "alice" {
			r.send(&wire.RequestHeader{Xid: wire.XidAuth, Type: wire.OpAuth}, &wire.AuthPacket{Scheme: "digest", Auth: []byte("alice:pw")})
			if h, _ := r.reply(); h.Err != 0 {
				t.Fatalf("auth: %d", h.Err)
			}
		}
		for i, w := range []wire.AddWatchRequest{
			{Path: "/sec", Mode: wire.AddWatchPersistentRecursive},
			{Path: "/sec/secret", Mode: wire.AddWatchPersistent},
		} {
			if code, _ := r.call(int32(i+1), wire.OpAddWatch, &w); code != wire.ErrOK {
				t.Fatalf("addWatch %s: %v", w.Path, code)
			}
		}
		if code, _ := r.call(3, wire.OpExists, &wire.PathWatchRequest{Path: "/sec/plain", Watch: true}); code != wire.ErrNoNode {
			t.Fatalf("exists watch: %v", code)
		}
		watchers[name] = r
	}

	ops := []struct {
		op  int32
		rec wire.Record
	}{
		{wire.OpCreate, &wire.CreateRequest{Path: "/sec/secret", Data: []byte("s"), ACL: digest}},
		{wire.OpSetData, &wire.SetDataRequest{Path: "/sec/secret", Data: []byte("t"), Version: -1}},
		{wire.OpDelete, &wire.DeleteRequest{Path: "/sec/secret", Version: -1}},
		{wire.OpCreate, &wire.CreateRequest{Path: "/sec/plain", ACL: datatree.OpenACLUnsafe}}, // the marker: readable by all
	}
	for i, o := range ops {
		if code, _ := writer.call(int32(10+i), o.op, o.rec); code != wire.ErrOK {
			t.Fatalf("write %d: %v", i, code)
		}
	}
	want := map[string][]wire.WatcherEvent{
		"anonymous": {{Type: wire.EventNodeCreated, Path: "/sec/plain"}},
		"alice": {
			{Type: wire.EventNodeCreated, Path: "/sec/secret"},
			{Type: wire.EventNodeDataChanged, Path: "/sec/secret"},
			{Type: wire.EventNodeDeleted, Path: "/sec/secret"},
			{Type: wire.EventNodeCreated, Path: "/sec/plain"},
		},
	}
	for name, evs := range want {
		for i, w := range evs {
			ev := watchers[name].event()
			if ev.Type != w.Type || ev.Path != w.Path {
				t.Errorf("%s, event %d: %d %s, want %d %s", name, i, ev.Type, ev.Path, w.Type, w.Path)
			}
		}
	}
}
