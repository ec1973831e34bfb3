package sessionserver

import (
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/watches"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// readExecutor returns how to answer a read-only request. Executors run
// with the tree locked and the connection's output locked.
func readExecutor(op int32) func(c *conn, e *wire.Encoder, sl *slot) {
	switch op {
	case wire.OpPing:
		return func(c *conn, e *wire.Encoder, sl *slot) { c.reply(e, wire.XidPing, wire.ErrOK, nil) }
	case wire.OpExists:
		return execExists
	case wire.OpGetData:
		return execGetData
	case wire.OpGetChildren, wire.OpGetChildren2:
		return execGetChildren
	case wire.OpGetACL:
		return execGetACL
	case wire.OpGetAllChildrenNumber:
		return execAllChildrenNumber
	case wire.OpGetEphemerals:
		return execGetEphemerals
	case wire.OpMultiRead:
		return execMultiRead
	case wire.OpWhoAmI:
		return execWhoAmI
	case wire.OpSetWatches, wire.OpSetWatches2:
		return execSetWatches
	case wire.OpAddWatch:
		return execAddWatch
	case wire.OpCheckWatches, wire.OpRemoveWatches:
		return execWatches
	}
	return func(c *conn, e *wire.Encoder, sl *slot) { c.reply(e, sl.hdr.Xid, wire.ErrUnimplemented, nil) }
}

// watcher is c when the request asked for a watch.
func (c *conn) watcher(watch bool) watches.Watcher {
	if watch {
		return c
	}
	return nil
}

// refuseWatch answers a request whose watch the connection may not add.
func (c *conn) refuseWatch(e *wire.Encoder, sl *slot, watch bool, path string) bool {
	if !watch {
		return false
	}
	if code := c.watchRefused(path); code != wire.ErrOK {
		c.reply(e, sl.hdr.Xid, code, nil)
		return true
	}
	return false
}

func execExists(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathWatchRequest)
	if c.refuseWatch(e, sl, r.Watch, r.Path) {
		return
	}
	st, code := c.srv.sm.tree.Exists(r.Path, c.watcher(r.Watch))
	c.reply(e, sl.hdr.Xid, code, &wire.ExistsResponse{Stat: st})
}

func execGetData(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathWatchRequest)
	if c.refuseWatch(e, sl, r.Watch, r.Path) {
		return
	}
	data, st, code := c.srv.sm.tree.GetData(r.Path, c.auth, c.watcher(r.Watch))
	c.reply(e, sl.hdr.Xid, code, &wire.GetDataResponse{Data: data, Stat: st})
}

func execGetChildren(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathWatchRequest)
	if c.refuseWatch(e, sl, r.Watch, r.Path) {
		return
	}
	children, st, code := c.srv.sm.tree.GetChildren(r.Path, c.auth, c.watcher(r.Watch))
	if sl.hdr.Type == wire.OpGetChildren2 {
		c.reply(e, sl.hdr.Xid, code, &wire.GetChildren2Response{Children: children, Stat: st})
		return
	}
	c.reply(e, sl.hdr.Xid, code, &wire.GetChildrenResponse{Children: children})
}

func execGetACL(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathRequest)
	acl, st, code := c.srv.sm.tree.GetACL(r.Path, c.auth)
	c.reply(e, sl.hdr.Xid, code, &wire.GetACLResponse{ACL: acl, Stat: st})
}

func execAllChildrenNumber(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathRequest)
	n, code := c.srv.sm.tree.AllChildrenNumber(r.Path, c.auth)
	c.reply(e, sl.hdr.Xid, code, &wire.GetAllChildrenNumberResponse{TotalNumber: n})
}

func execGetEphemerals(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.PathRequest)
	c.reply(e, sl.hdr.Xid, wire.ErrOK, &wire.GetEphemeralsResponse{Ephemerals: c.srv.sm.tree.Ephemerals(c.sid, r.Path)})
}

// execMultiRead answers getData/getChildren ops; a failed op becomes an
// error result and the header stays OK, as in ZooKeeper.
func execMultiRead(c *conn, e *wire.Encoder, sl *slot) {
	m := sl.rec.(*wire.MultiRequest)
	resp := &wire.MultiResponse{Results: make([]wire.MultiResult, 0, len(m.Ops))}
	for _, op := range m.Ops {
		var res wire.MultiResult
		switch r := op.Req.(type) {
		case *wire.PathWatchRequest:
			refused := wire.ErrOK
			if r.Watch {
				refused = c.watchRefused(r.Path)
			}
			if refused != wire.ErrOK {
				res = wire.MultiResult{Type: wire.OpError, Err: int32(refused)}
			} else if op.Type == wire.OpGetData {
				data, st, code := c.srv.sm.tree.GetData(r.Path, c.auth, c.watcher(r.Watch))
				res = wire.MultiResult{Type: wire.OpGetData, Resp: &wire.GetDataResponse{Data: data, Stat: st}}
				if code != wire.ErrOK {
					res = wire.MultiResult{Type: wire.OpError, Err: int32(code)}
				}
			} else {
				children, _, code := c.srv.sm.tree.GetChildren(r.Path, c.auth, c.watcher(r.Watch))
				res = wire.MultiResult{Type: wire.OpGetChildren, Resp: &wire.GetChildrenResponse{Children: children}}
				if code != wire.ErrOK {
					res = wire.MultiResult{Type: wire.OpError, Err: int32(code)}
				}
			}
		default:
			res = wire.MultiResult{Type: wire.OpError, Err: int32(wire.ErrBadArguments)}
		}
		resp.Results = append(resp.Results, res)
	}
	c.reply(e, sl.hdr.Xid, wire.ErrOK, resp)
}

func execWhoAmI(c *conn, e *wire.Encoder, sl *slot) {
	info := make([]wire.ClientInfo, 0, len(c.auth.IDs))
	for _, id := range javaSetOrder(c.auth.IDs) {
		user := id.ID
		if id.Scheme == "digest" {
			user, _, _ = cut(id.ID, ':')
		}
		info = append(info, wire.ClientInfo{AuthScheme: id.Scheme, User: user})
	}
	c.reply(e, sl.hdr.Xid, wire.ErrOK, &wire.WhoAmIResponse{ClientInfo: info})
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// execSetWatches restores watches; catch-up events are queued before the reply.
func execSetWatches(c *conn, e *wire.Encoder, sl *slot) {
	var ws datatree.WatchSet
	switch r := sl.rec.(type) {
	case *wire.SetWatches:
		ws = datatree.WatchSet{RelativeZxid: r.RelativeZxid, Data: r.DataWatches, Exist: r.ExistWatches, Child: r.ChildWatches}
	case *wire.SetWatches2:
		ws = datatree.WatchSet{RelativeZxid: r.RelativeZxid, Data: r.DataWatches, Exist: r.ExistWatches, Child: r.ChildWatches,
			Persistent: r.PersistentWatches, Recursive: r.PersistentRecursiveWatches}
	}
	all := append(append(append(append(append([]string(nil), ws.Data...), ws.Exist...), ws.Child...), ws.Persistent...), ws.Recursive...)
	if code := c.watchRefused(all...); code != wire.ErrOK {
		c.reply(e, sl.hdr.Xid, code, nil)
		return
	}
	c.srv.sm.tree.SetWatches(ws, c, c.appendEventLocked)
	c.reply(e, sl.hdr.Xid, wire.ErrOK, nil)
}

// execAddWatch registers a persistent watch; the reply body is a 4-byte zero.
func execAddWatch(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.AddWatchRequest)
	switch r.Mode {
	case wire.AddWatchPersistent, wire.AddWatchPersistentRecursive:
		if c.refuseWatch(e, sl, true, r.Path) {
			return
		}
		c.srv.sm.tree.Watches.AddPersistent(r.Path, c, r.Mode == wire.AddWatchPersistentRecursive)
		c.reply(e, sl.hdr.Xid, wire.ErrOK, &wire.ErrorResponse{Err: 0})
	default:
		c.reply(e, sl.hdr.Xid, wire.ErrBadArguments, nil)
	}
}

// execWatches answers checkWatches and removeWatches: NoWatcher when nothing matches.
func execWatches(c *conn, e *wire.Encoder, sl *slot) {
	r := sl.rec.(*wire.WatchesRequest)
	var found bool
	if sl.hdr.Type == wire.OpCheckWatches {
		found = c.srv.sm.tree.Watches.Contains(r.Path, c, r.Type)
	} else {
		found = c.srv.sm.tree.Watches.Remove(r.Path, c, r.Type)
	}
	code := wire.ErrOK
	if !found {
		code = wire.ErrNoWatcher
	}
	c.reply(e, sl.hdr.Xid, code, nil)
}
