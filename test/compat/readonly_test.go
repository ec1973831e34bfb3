package compat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestEnsembleReadOnly: read-only mode (readonlymode.enabled) on a member
// left alone. ZooKeeper 3.8 needs local sessions for it (its read-only
// server refuses a global createSession with NotReadOnly), so its members
// get localSessionsEnabled; ours ignore the key. The member closes its
// sessions, then takes read-only ones: reads answered, writes refused with
// NotReadOnly, isro "ro"; a session of the ensemble is refused; once the
// others are back the read-only sessions end and the clients (our Go
// client probing for a read-write server, kazoo) are read-write again.
func TestEnsembleReadOnly(t *testing.T) {
	o := refzk.Options{TickTime: 2000, ReadOnlyMode: true, Extra: map[string]string{"localSessionsEnabled": "true"}}
	differential(t, o, func(t *testing.T, k *ensembleKind, rec *recorder) {
		leader, fs := k.roles(t)
		survivor, others := fs[0], []*refzk.Server{leader, fs[1]}
		w, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000})
		if w == nil {
			t.Fatalf("%s: %s", k.name, outcome)
		}
		defer w.close()
		b, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, ReadOnly: true})
		rec.add("a client that can be read-only, with a quorum: %s", outcome)
		if b == nil {
			return
		}
		defer b.close()
		// What follows is relative to /d's zxid (a session ZooKeeper keeps
		// local uses no zxid; ours are the ensemble's and do: the sessions
		// come first).
		if r := w.call(1, wire.OpCreate, &wire.CreateRequest{Path: "/d", Data: []byte("x"), ACL: datatree.OpenACLUnsafe}, 0); !strings.Contains(r, "err=0") {
			t.Fatalf("%s: create /d: %s", k.name, r)
		}
		base := w.zxid(t)

		for _, o := range others {
			o.Kill()
		}
		rec.add("sessions closed: %v %v", w.awaitClose(15*time.Second), b.awaitClose(15*time.Second))
		rec.add("isro: %q", awaitFourLetter(survivor, "isro", 15*time.Second, func(out string) bool { return out == "ro" }))
		srvr := fourLetter(survivor, "srvr")
		rec.add("srvr: %q %q", lineStartingWith(srvr, "READ-ONLY"), lineStartingWith(srvr, "Mode"))
		rec.add("mntr: %q", lineStartingWith(fourLetter(survivor, "mntr"), "zk_server_state"))
		_, outcome = connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000})
		rec.add("a read-write client: %s", outcome)
		_, outcome = connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, SessionID: w.sid, Passwd: w.passwd, ReadOnly: true})
		rec.add("a session of the ensemble: %s", outcome)
		r, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, ReadOnly: true})
		rec.add("a read-only client: %s", outcome)
		if r == nil {
			return
		}
		for i, req := range readOnlyRequests() {
			xid := int32(10 + i)
			if req.op == wire.OpPing {
				xid = wire.XidPing
			}
			rec.add("read-only %s: %s", wire.OpName(req.op), r.call(xid, req.op, req.rec, base))
		}
		r.close()
		again, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, SessionID: r.sid, Passwd: r.passwd, ReadOnly: true})
		rec.add("the read-only session again: %s", outcome)

		c, err := zkclient.Connect(strings.Join(addrs(k.ens.Servers), ","), 10*time.Second, zkclient.WithCanBeReadOnly(),
			zkclient.WithReconnectJitter(50*time.Millisecond), zkclient.WithBackoff(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rec.add("Go client: %s", awaitState(c, 30*time.Second, zkclient.StateConnectedReadOnly))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		data, _, err := c.Get(ctx, "/d")
		rec.add("Go client get: %q %v", data, err)
		_, _, err = c.Create(ctx, "/go", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		rec.add("Go client create: %v", errors.Is(err, wire.ErrNotReadOnly))
		kz := startKazoo(t, strings.Join(addrs(k.ens.Servers), ","), 10*time.Second, true)
		rec.add("kazoo get: %s", kz.do("get /d"))
		rec.add("kazoo create: %s", kz.do("create /kazoo"))

		k.restart(t, others...)
		if again != nil {
			rec.add("read-only session closed when the quorum is back: %v", again.awaitClose(15*time.Second))
		}
		_, outcome = connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, SessionID: r.sid, Passwd: r.passwd})
		rec.add("the read-only session on a read-write member: %s", outcome)
		rec.add("Go client: %s", awaitState(c, 60*time.Second, zkclient.StateConnected))
		_, _, err = c.Create(ctx, "/go", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		rec.add("Go client create: %v", err)
		rec.add("kazoo: %s", kz.do("wait CONNECTED"))
		rec.add("kazoo create: %s", kz.do("create /kazoo"))
		states, _ := kz.statesSince(0)
		rec.add("kazoo states: %s", strings.Join(states, " -> "))
		kz.close()
	})
}

type request struct {
	op  int32
	rec wire.Record
}

// readOnlyRequests are a read-only session's requests: reads, and the
// writes ZooKeeper's ReadOnlyRequestProcessor refuses.
func readOnlyRequests() []request {
	open := datatree.OpenACLUnsafe
	return []request{
		{wire.OpExists, &wire.PathWatchRequest{Path: "/d"}},
		{wire.OpGetData, &wire.PathWatchRequest{Path: "/d", Watch: true}},
		{wire.OpGetChildren2, &wire.PathWatchRequest{Path: "/d"}},
		{wire.OpGetACL, &wire.PathRequest{Path: "/d"}},
		{wire.OpMultiRead, &wire.MultiRequest{Ops: []wire.MultiOp{{Type: wire.OpGetData, Req: &wire.PathWatchRequest{Path: "/d"}}}}},
		{wire.OpCreate, &wire.CreateRequest{Path: "/e", ACL: open}},
		{wire.OpCreate2, &wire.CreateRequest{Path: "/e", ACL: open}},
		{wire.OpSetData, &wire.SetDataRequest{Path: "/d", Version: -1}},
		{wire.OpDelete, &wire.DeleteRequest{Path: "/d", Version: -1}},
		{wire.OpSetACL, &wire.SetACLRequest{Path: "/d", ACL: open, Version: -1}},
		{wire.OpSync, &wire.PathRequest{Path: "/d"}},
		{wire.OpMulti, &wire.MultiRequest{Ops: []wire.MultiOp{{Type: wire.OpCheck, Req: &wire.CheckVersionRequest{Path: "/d", Version: 0}}}}},
		{wire.OpReconfig, &wire.ReconfigRequest{LeavingServers: "2", CurConfigID: -1}},
		{wire.OpPing, nil},
		{wire.OpSetWatches, &wire.SetWatches{DataWatches: []string{"/d"}, ExistWatches: []string{}, ChildWatches: []string{}}},
		{wire.OpAddWatch, &wire.AddWatchRequest{Path: "/d", Mode: wire.AddWatchPersistent}},
		{wire.OpGetEphemerals, &wire.PathRequest{Path: "/"}},
		{wire.OpWhoAmI, nil},
	}
}

// awaitState waits for the Go client's state.
func awaitState(c *zkclient.Conn, d time.Duration, want zkclient.State) string {
	deadline := time.Now().Add(d)
	for c.State() != want {
		if time.Now().After(deadline) {
			return "still " + c.State().String() + ", not " + want.String()
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	return want.String()
}
