package sessionserver

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// FuzzDispatch feeds arbitrary bytes, after a valid handshake, to the request
// dispatcher of a live server and checks that the server survives and keeps
// serving another connection.
func FuzzDispatch(f *testing.F) {
	frame := func(recs ...wire.Record) []byte {
		e := wire.NewEncoder(nil)
		e.BeginFrame()
		for _, r := range recs {
			r.Encode(e)
		}
		e.EndFrame()
		return e.Bytes()
	}
	f.Add(frame(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/a", ACL: datatree.OpenACLUnsafe}))
	f.Add(frame(&wire.RequestHeader{Xid: 1, Type: wire.OpMulti}, &wire.MultiRequest{Ops: []wire.MultiOp{{Type: wire.OpCreate, Req: &wire.CreateRequest{Path: "/m", ACL: datatree.OpenACLUnsafe}}, {Type: wire.OpDelete, Req: &wire.DeleteRequest{Path: "/m", Version: -1}}}}))
	f.Add(frame(&wire.RequestHeader{Xid: 2, Type: wire.OpSetWatches2}, &wire.SetWatches2{DataWatches: []string{"/a"}, PersistentRecursiveWatches: []string{"/"}}))
	f.Add(frame(&wire.RequestHeader{Xid: 3, Type: wire.OpGetData}, &wire.PathWatchRequest{Path: "/zookeeper/config", Watch: true}))
	f.Add(frame(&wire.RequestHeader{Xid: 4, Type: wire.OpAuth}, &wire.AuthPacket{Scheme: "digest", Auth: []byte("u:p")}))
	f.Add(frame(&wire.RequestHeader{Xid: 5, Type: wire.OpMultiRead}, &wire.MultiRequest{Ops: []wire.MultiOp{{Type: wire.OpGetData, Req: &wire.PathWatchRequest{Path: "/"}}}}))
	f.Add([]byte{0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 14})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})

	s := startServer(f, func(c *Config) { c.ExtendedTypes = true })
	f.Fuzz(func(t *testing.T, in []byte) {
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		r := &rawConn{t: t, nc: nc}
		r.br = bufio.NewReader(nc)
		resp := r.newSession(4000)
		nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
		nc.Write(in)
		// Whatever happened to that connection, a new one must be served.
		probe := dialRaw(t, s.Addr())
		probe.newSession(4000)
		probe.send(&wire.RequestHeader{Xid: 1, Type: wire.OpExists}, &wire.PathWatchRequest{Path: "/"})
		if h, _ := probe.reply(); h.Err != 0 {
			t.Fatalf("server stopped serving after %x: %+v", in, h)
		}
		// Close the fuzzed session so sessions do not pile up across iterations.
		closer := dialRaw(t, s.Addr())
		closer.connect(wire.ConnectRequest{TimeOut: 4000, SessionID: resp.SessionID, Passwd: resp.Passwd})
		closer.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCloseSession})
		probe.send(&wire.RequestHeader{Xid: 2, Type: wire.OpCloseSession})
	})
}
