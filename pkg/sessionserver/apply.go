package sessionserver

import (
	"encoding/binary"
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Apply applies committed transactions in order (StateMachine). Every
// transaction, failed writes included, uses up one zxid: term<<32 | n, where
// n counts transactions within the term.
func (s *Server) Apply(entries []Entry) {
	var closed []*conn
	s.tree.Lock()
	for _, e := range entries {
		closed = s.applyOne(e, closed)
	}
	s.tree.Unlock()
	for _, c := range closed {
		c.closeAfterFlush()
	}
}

func (s *Server) nextZxid(term uint64) int64 {
	if term > s.term {
		s.term, s.counter = term, 0
	}
	s.counter++
	return int64(s.term<<32 | uint64(s.counter))
}

// applyOne applies one transaction; it adds to closed the connections of
// sessions the transaction ended that have a connection on this member.
func (s *Server) applyOne(e Entry, closed []*conn) []*conn {
	t, err := decodeTxn(e.Data)
	if err != nil {
		s.logger.Error("skipping undecodable transaction", "index", e.Index, "err", err)
		return closed
	}
	if isSecretTxn(t) {
		s.applySecret(t)
		return closed
	}
	if t.Type == txnSessionOwner {
		// Not a change of the tree: it uses no zxid, as ZooKeeper's session
		// revalidation does not.
		if t.Origin != s.id {
			if c := s.connOf(t.SID); c != nil {
				s.logger.Info("session moved to another member; closing its old connection", "sessionId", fmt.Sprintf("0x%x", t.SID), "member", t.Origin)
				closed = append(closed, c)
			}
		}
		return closed
	}
	zxid := s.nextZxid(e.Term)
	s.lastZxid.Store(zxid)
	s.metrics.txns.Inc()

	var p *pendingReq
	if t.Origin == s.id && t.Seq != 0 {
		p = s.takePending(t.Seq)
	}
	switch t.Type {
	case wire.OpCreateSession:
		timeout := int32(binary.BigEndian.Uint32(append(t.Body, 0, 0, 0, 0)[:4]))
		s.sessionTable[t.SID] = timeout
		s.applySessionPassword(t)
		s.tracker.AddSession(t.SID, timeout)
		if p != nil && p.handshake != nil {
			p.handshake <- true
		}
		return closed
	case wire.OpCloseSession:
		s.closeSession(zxid, t.SID)
		if p != nil && p.c != nil {
			p.c.finishWrite(p.slot, encodeReply(t.Cxid, zxid, wire.ErrOK, nil), true)
			return closed
		}
		if c := s.connOf(t.SID); c != nil {
			closed = append(closed, c)
		}
		return closed
	case txnCloseSessions:
		sids, err := decodeSids(t.Body)
		if err != nil {
			s.logger.Error("skipping undecodable session close", "index", e.Index, "err", err)
			return closed
		}
		for i, sid := range sids {
			if i > 0 {
				zxid = s.nextZxid(e.Term)
				s.lastZxid.Store(zxid)
			}
			s.closeSession(zxid, sid)
			if c := s.connOf(sid); c != nil {
				closed = append(closed, c)
			}
		}
		return closed
	case txnDeleteExpired:
		s.tree.DeleteIfExpired(zxid, t.Time, string(t.Body))
		return closed
	case txnSetConfig:
		// The membership lines come from the log; the version is the zxid of
		// this change, as ZooKeeper's reconfig gives it.
		data := append(append([]byte{}, t.Body...), []byte(fmt.Sprintf("version=%x", zxid))...)
		s.tree.SetConfig(zxid, t.Time, data)
		return closed
	}
	code, body := s.applyRequest(zxid, t)
	if p != nil && p.c != nil {
		p.c.finishWrite(p.slot, encodeReply(t.Cxid, zxid, code, body), false)
	}
	return closed
}

// closeSession ends a session at zxid: its ephemerals go, watchers are told.
func (s *Server) closeSession(zxid, sid int64) {
	s.tree.KillSession(zxid, sid)
	delete(s.sessionTable, sid)
	delete(s.pw.legacy, sid)
	s.tracker.RemoveSession(sid)
}

// applyRequest applies a client write and returns its reply.
func (s *Server) applyRequest(zxid int64, t *txn) (wire.ErrCode, wire.Record) {
	rec, err := wire.DecodeRequest(t.Type, t.Body)
	if err != nil {
		return wire.ErrMarshallingError, nil
	}
	_, alive := s.sessionTable[t.SID]
	if !alive {
		return wire.ErrSessionExpired, nil
	}
	tree := s.tree
	switch r := rec.(type) {
	case *wire.CreateRequest:
		return s.applyCreate(zxid, t, datatree.CreateOp{Type: t.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: -1})
	case *wire.CreateTTLRequest:
		return s.applyCreate(zxid, t, datatree.CreateOp{Type: t.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: r.TTL})
	case *wire.DeleteRequest:
		return tree.Delete(zxid, t.Auth, r.Path, r.Version), nil
	case *wire.SetDataRequest:
		st, code := tree.SetData(zxid, t.Time, t.Auth, r.Path, r.Data, r.Version)
		return code, &wire.SetDataResponse{Stat: st}
	case *wire.SetACLRequest:
		st, code := tree.SetACL(t.Auth, r.Path, r.ACL, r.Version)
		return code, &wire.SetACLResponse{Stat: st}
	case *wire.MultiRequest:
		results, _ := tree.Multi(zxid, t.Time, t.SID, t.Auth, r.Ops, func() wire.ErrCode { return wire.ErrOK })
		// A failed multi still answers OK in the header; the results carry the errors.
		return wire.ErrOK, &wire.MultiResponse{Results: results}
	case *wire.ReconfigRequest:
		return s.applyReconfig(zxid, t, r)
	}
	return wire.ErrUnimplemented, nil
}

func (s *Server) applyCreate(zxid int64, t *txn, op datatree.CreateOp) (wire.ErrCode, wire.Record) {
	path, st, code := s.tree.Create(zxid, t.Time, t.SID, t.Auth, op)
	if code != wire.ErrOK {
		return code, nil
	}
	if t.Type == wire.OpCreate {
		return wire.ErrOK, &wire.CreateResponse{Path: path}
	}
	return wire.ErrOK, &wire.Create2Response{Path: path, Stat: st}
}

// finishWrite completes a write's slot from Apply (the tree is write-locked).
func (c *conn) finishWrite(sl *slot, frame []byte, closeAfter bool) {
	c.mu.Lock()
	c.completeLocked(sl, frame, closeAfter)
	c.mu.Unlock()
}
