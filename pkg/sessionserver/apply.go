package sessionserver

import (
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// apply applies committed transactions in order. Every transaction, failed
// writes included, uses up one zxid: term<<32 | n, where n counts
// transactions within the term.
func (sm *stateMachine) apply(entries []Entry, fx effects) {
	sm.tree.Lock()
	defer sm.tree.Unlock()
	for _, e := range entries {
		sm.applyOne(e, fx)
	}
}

func (sm *stateMachine) nextZxid(term uint64) int64 {
	if term > sm.term {
		sm.term, sm.counter = term, 0
	}
	sm.counter++
	zxid := int64(sm.term<<32 | uint64(sm.counter))
	sm.lastZxid.Store(zxid)
	return zxid
}

// applyOne applies one transaction and tells fx what it means for this
// member's connections.
func (sm *stateMachine) applyOne(e Entry, fx effects) {
	var tx txn
	t := &tx
	if err := t.decode(e.Data); err != nil {
		sm.logger.Error("skipping undecodable transaction", "index", e.Index, "err", err)
		return
	}
	if isSecretTxn(t) {
		sm.applySecret(t)
		return
	}
	if t.Type == txnSessionOwner {
		// Not a change of the tree: it uses no zxid, as ZooKeeper's session
		// revalidation does not.
		if t.Origin != sm.id {
			fx.sessionMoved(t.SID, t.Origin)
		}
		return
	}
	zxid := sm.nextZxid(e.Term)
	fx.applied()
	o := sm.applyTxn(e, t, zxid, fx)
	answered := t.Origin == sm.id && t.Seq != 0 && fx.answer(t.Seq, o)
	if t.Type == wire.OpCloseSession && !answered {
		fx.sessionEnded(t.SID)
	}
}

// applyTxn changes the state by t and returns its outcome.
func (sm *stateMachine) applyTxn(e Entry, t *txn, zxid int64, fx effects) outcome {
	switch t.Type {
	case wire.OpCreateSession:
		cs := decodeCreateSession(t.Body)
		sm.sessionTable[t.SID] = cs.timeout
		sm.applySessionPassword(t.SID, cs)
		sm.tracker.AddSession(t.SID, cs.timeout)
		return outcome{kind: outcomeSession, zxid: zxid}
	case wire.OpCloseSession:
		sm.closeSession(zxid, t.SID)
		return outcome{kind: outcomeReply, cxid: t.Cxid, zxid: zxid, code: wire.ErrOK, closeAfter: true}
	case txnCloseSessions:
		sm.closeSessions(e, t, zxid, fx)
		return outcome{}
	case txnDeleteExpired:
		sm.tree.DeleteIfExpired(zxid, t.Time, string(t.Body))
		return outcome{}
	case txnSetConfig:
		// The membership lines come from the log; the version is the zxid of
		// this change, as ZooKeeper's reconfig gives it.
		data := append(append([]byte{}, t.Body...), []byte(fmt.Sprintf("version=%x", zxid))...)
		sm.tree.SetConfig(zxid, t.Time, data)
		return outcome{}
	}
	code, body := sm.applyRequest(zxid, t)
	return outcome{kind: outcomeReply, cxid: t.Cxid, zxid: zxid, code: code, body: body}
}

// closeSessions closes the sessions of an expiry batch, each at a zxid of its own.
func (sm *stateMachine) closeSessions(e Entry, t *txn, zxid int64, fx effects) {
	sids, err := decodeSids(t.Body)
	if err != nil {
		sm.logger.Error("skipping undecodable session close", "index", e.Index, "err", err)
		return
	}
	for i, sid := range sids {
		if i > 0 {
			zxid = sm.nextZxid(e.Term)
		}
		sm.closeSession(zxid, sid)
		fx.sessionEnded(sid)
	}
}

// closeSession ends a session at zxid: its ephemerals go, watchers are told.
func (sm *stateMachine) closeSession(zxid, sid int64) {
	sm.tree.KillSession(zxid, sid)
	delete(sm.sessionTable, sid)
	delete(sm.pw.legacy, sid)
	sm.tracker.RemoveSession(sid)
}

// applyRequest applies a client write and returns its reply.
func (sm *stateMachine) applyRequest(zxid int64, t *txn) (wire.ErrCode, wire.Record) {
	rec, err := wire.DecodeRequest(t.Type, t.Body)
	if err != nil {
		return wire.ErrMarshallingError, nil
	}
	_, alive := sm.sessionTable[t.SID]
	if !alive {
		return wire.ErrSessionExpired, nil
	}
	tree := sm.tree
	switch r := rec.(type) {
	case *wire.CreateRequest:
		return sm.applyCreate(zxid, t, datatree.CreateOp{Type: t.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: -1})
	case *wire.CreateTTLRequest:
		return sm.applyCreate(zxid, t, datatree.CreateOp{Type: t.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: r.TTL})
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
		return sm.applyReconfig()
	}
	return wire.ErrUnimplemented, nil
}

func (sm *stateMachine) applyCreate(zxid int64, t *txn, op datatree.CreateOp) (wire.ErrCode, wire.Record) {
	path, st, code := sm.tree.Create(zxid, t.Time, t.SID, t.Auth, op)
	if code != wire.ErrOK {
		return code, nil
	}
	if t.Type == wire.OpCreate {
		return wire.ErrOK, &wire.CreateResponse{Path: path}
	}
	return wire.ErrOK, &wire.Create2Response{Path: path, Stat: st}
}

// applyReconfig answers a reconfig that went through the log: ZooKeeper
// checks "disabled" first (the failed request still uses a zxid), and a
// server that is not part of an ensemble cannot reconfigure.
func (sm *stateMachine) applyReconfig() (wire.ErrCode, wire.Record) {
	if !sm.reconfigEnabled {
		return wire.ErrReconfigDisabled, nil
	}
	return wire.ErrUnimplemented, nil
}
