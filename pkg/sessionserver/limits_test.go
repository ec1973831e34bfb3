package sessionserver

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// request encodes one framed request.
func request(xid, op int32, rec wire.Record) []byte {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: xid, Type: op}).Encode(e)
	if rec != nil {
		rec.Encode(e)
	}
	e.EndFrame()
	return e.Bytes()
}

// call sends one request and returns its reply's error code (skipping notifications).
func (r *rawConn) call(xid, op int32, rec wire.Record) (wire.ErrCode, []byte) {
	r.t.Helper()
	r.sendBytes(request(xid, op, rec))
	for {
		h, body := r.reply()
		if h.Xid == xid {
			return wire.ErrCode(h.Err), body
		}
	}
}

// queuedOutput is what c has queued for its client, waiting or being written.
func (c *conn) queuedOutput() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enc.Len() + c.inflight
}

// TestNonReadingClientIsBounded is issue 12's attack: a client pipelines
// large reads and never reads its socket. The server stops reading it once
// the replies queued for it reach the cap, and closes it when its write
// deadline passes; what is queued never exceeds the cap by more than one reply.
func TestNonReadingClientIsBounded(t *testing.T) {
	const limit = 1 << 20
	s := startServer(t, func(c *Config) {
		c.MaxClientOutput = limit
		c.ClientWriteTimeout = time.Second
	})
	w := dialRaw(t, s.Addr())
	w.newSession(30000)
	big := bytes.Repeat([]byte("x"), 512<<10)
	if code, _ := w.call(1, wire.OpCreate, &wire.CreateRequest{Path: "/big", Data: big, ACL: datatree.OpenACLUnsafe}); code != wire.ErrOK {
		t.Fatalf("create: %v", code)
	}

	hog := dialRaw(t, s.Addr())
	sid := hog.newSession(30000).SessionID
	var victim *conn
	for _, c := range s.connList() {
		if c.sid == sid {
			victim = c
		}
	}
	const n = 300 // 150 MiB of replies if nothing bounds them
	var reqs []byte
	for i := 0; i < n; i++ {
		reqs = append(reqs, request(int32(i+1), wire.OpGetData, &wire.PathWatchRequest{Path: "/big"})...)
	}
	go func() {
		hog.nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
		hog.nc.Write(reqs) // blocks once the server stops reading; fails when it closes
	}()
	peak := 0
	deadline := time.Now().Add(20 * time.Second)
	for !victim.isClosed() {
		peak = max(peak, victim.queuedOutput())
		if time.Now().After(deadline) {
			t.Fatalf("the non-reading client was not disconnected; %d bytes queued", victim.queuedOutput())
		}
		time.Sleep(time.Millisecond) // sampling interval
	}
	t.Logf("queued output peaked at %d bytes (cap %d, one reply %d); the connection was closed", peak, limit, len(big)+88)
	if bound := limit + s.maxReply(); peak > bound {
		t.Fatalf("queued output reached %d bytes, over the cap %d plus one reply", peak, limit)
	}
	// The server still serves everyone else.
	if code, _ := w.call(2, wire.OpExists, &wire.PathWatchRequest{Path: "/big"}); code != wire.ErrOK {
		t.Fatalf("exists after: %v", code)
	}
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// TestReplyLargerThanMaxBuffer: a reply over jute.maxbuffer (plus the room a
// stat and header need) is a MarshallingError for that request, and the
// connection stays usable.
func TestReplyLargerThanMaxBuffer(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxBuffer = 16 << 10 })
	r := dialRaw(t, s.Addr())
	r.newSession(30000)
	if code, _ := r.call(1, wire.OpCreate, &wire.CreateRequest{Path: "/many", ACL: datatree.OpenACLUnsafe}); code != wire.ErrOK {
		t.Fatalf("create: %v", code)
	}
	name := strings.Repeat("n", 1000)
	for i := 0; i < 20; i++ { // 20 KB of names: every create fits, the list does not
		if code, _ := r.call(int32(10+i), wire.OpCreate, &wire.CreateRequest{Path: fmt.Sprintf("/many/%s%02d", name, i), ACL: datatree.OpenACLUnsafe}); code != wire.ErrOK {
			t.Fatalf("create child: %v", code)
		}
	}
	nearMax := bytes.Repeat([]byte("d"), 16<<10-64) // the largest data a request can carry
	if code, _ := r.call(2, wire.OpSetData, &wire.SetDataRequest{Path: "/many", Data: nearMax, Version: -1}); code != wire.ErrOK {
		t.Fatalf("setData: %v", code)
	}
	tests := []struct {
		name string
		op   int32
		want wire.ErrCode
	}{
		{"getChildren over the limit", wire.OpGetChildren, wire.ErrMarshallingError},
		{"getData of the largest data a write can store", wire.OpGetData, wire.ErrOK},
		{"the connection still answers", wire.OpExists, wire.ErrOK},
	}
	for i, tc := range tests {
		if code, _ := r.call(int32(100+i), tc.op, &wire.PathWatchRequest{Path: "/many"}); code != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, code, tc.want)
		}
	}
}

// TestWatchCaps: a connection may hold maxWatchesPerSession watches on paths
// of at most maxWatchPathLength bytes; past either a watching request fails
// with BadArguments and registers nothing, while the same read without a
// watch is served.
func TestWatchCaps(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.MaxWatches = 3
		c.MaxWatchPathLength = 16
	})
	r := dialRaw(t, s.Addr())
	r.newSession(30000)
	long := "/" + strings.Repeat("p", 16)
	steps := []struct {
		name string
		op   int32
		rec  wire.Record
		want wire.ErrCode
	}{
		{"exists watch 1", wire.OpExists, &wire.PathWatchRequest{Path: "/a", Watch: true}, wire.ErrNoNode},
		{"exists watch 2", wire.OpExists, &wire.PathWatchRequest{Path: "/b", Watch: true}, wire.ErrNoNode},
		{"the same path again costs nothing", wire.OpExists, &wire.PathWatchRequest{Path: "/b", Watch: true}, wire.ErrNoNode},
		{"overlong path with a watch", wire.OpExists, &wire.PathWatchRequest{Path: long, Watch: true}, wire.ErrBadArguments},
		{"overlong path without a watch", wire.OpExists, &wire.PathWatchRequest{Path: long}, wire.ErrNoNode},
		{"addWatch 3", wire.OpAddWatch, &wire.AddWatchRequest{Path: "/c", Mode: wire.AddWatchPersistentRecursive}, wire.ErrOK},
		{"exists watch past the cap", wire.OpExists, &wire.PathWatchRequest{Path: "/d", Watch: true}, wire.ErrBadArguments},
		{"getChildren watch past the cap", wire.OpGetChildren, &wire.PathWatchRequest{Path: "/", Watch: true}, wire.ErrBadArguments},
		{"addWatch past the cap", wire.OpAddWatch, &wire.AddWatchRequest{Path: "/e", Mode: wire.AddWatchPersistent}, wire.ErrBadArguments},
		{"setWatches past the cap", wire.OpSetWatches, &wire.SetWatches{ExistWatches: []string{"/f", "/g"}}, wire.ErrBadArguments},
		{"reads without watches still work", wire.OpGetChildren, &wire.PathWatchRequest{Path: "/"}, wire.ErrOK},
	}
	for i, st := range steps {
		if code, _ := r.call(int32(i+1), st.op, st.rec); code != st.want {
			t.Errorf("%s: %v, want %v", st.name, code, st.want)
		}
	}
	var c *conn
	for _, cn := range s.connList() {
		if cn.sid != 0 {
			c = cn
		}
	}
	if n := s.sm.tree.Watches.CountOf(c); n != 3 {
		t.Fatalf("the connection holds %d watches, want 3", n)
	}
}
