package datatree

import "github.com/zkensemble/zkensemble/pkg/wire"

// undo state of the multi in progress: changes are applied as they go and
// rolled back if a later op fails; watches fire only after all ops succeed.
type undoLog struct {
	active   bool
	undo     []func()
	onCommit []func()
}

func (t *Tree) recording() bool { return t.undoLog.active }

func (t *Tree) record(f func()) {
	if t.undoLog.active {
		t.undoLog.undo = append(t.undoLog.undo, f)
	}
}

func (t *Tree) onCommit(f func()) { t.undoLog.onCommit = append(t.undoLog.onCommit, f) }

// Multi applies ops atomically. On failure nothing changes and the results
// are ZooKeeper's: ops before the failing one report 0, the failing op its
// code, and later ops RuntimeInconsistency; the second return is the first
// error. Sub-ops see the effects of earlier ones.
func (t *Tree) Multi(zxid, now, sid int64, auth Auth, ops []wire.MultiOp, checkEphemeral func() wire.ErrCode) ([]wire.MultiResult, wire.ErrCode) {
	t.undoLog = undoLog{active: true}
	t.deferEv = true
	defer func() {
		t.undoLog = undoLog{}
		t.deferEv = false
	}()
	results := make([]wire.MultiResult, 0, len(ops))
	failed := -1
	var failCode wire.ErrCode
	for i, op := range ops {
		res, code := t.multiOp(zxid, now, sid, auth, op, checkEphemeral)
		if code != wire.ErrOK {
			failed, failCode = i, code
			break
		}
		results = append(results, res)
	}
	if failed < 0 {
		for _, f := range t.undoLog.onCommit {
			f()
		}
		t.flush()
		return results, wire.ErrOK
	}
	for i := len(t.undoLog.undo) - 1; i >= 0; i-- {
		t.undoLog.undo[i]()
	}
	t.pending = t.pending[:0]
	results = results[:0]
	for i := range ops {
		code := wire.ErrOK
		switch {
		case i == failed:
			code = failCode
		case i > failed:
			code = wire.ErrRuntimeInconsistency
		}
		results = append(results, wire.MultiResult{Type: wire.OpError, Err: int32(code)})
	}
	return results, failCode
}

func (t *Tree) multiOp(zxid, now, sid int64, auth Auth, op wire.MultiOp, checkEphemeral func() wire.ErrCode) (wire.MultiResult, wire.ErrCode) {
	switch r := op.Req.(type) {
	case *wire.CreateRequest:
		c := CreateOp{Type: op.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: -1}
		return t.multiCreate(zxid, now, sid, auth, c, checkEphemeral)
	case *wire.CreateTTLRequest:
		c := CreateOp{Type: op.Type, Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags, TTL: r.TTL}
		return t.multiCreate(zxid, now, sid, auth, c, checkEphemeral)
	case *wire.DeleteRequest:
		return wire.MultiResult{Type: wire.OpDelete}, t.Delete(zxid, auth, r.Path, r.Version)
	case *wire.SetDataRequest:
		st, code := t.SetData(zxid, now, auth, r.Path, r.Data, r.Version)
		return wire.MultiResult{Type: wire.OpSetData, Resp: &wire.SetDataResponse{Stat: st}}, code
	case *wire.CheckVersionRequest:
		return wire.MultiResult{Type: wire.OpCheck}, t.Check(auth, r.Path, r.Version)
	}
	// Reads cannot be mixed into a write multi.
	return wire.MultiResult{}, wire.ErrBadArguments
}

func (t *Tree) multiCreate(zxid, now, sid int64, auth Auth, c CreateOp, checkEphemeral func() wire.ErrCode) (wire.MultiResult, wire.ErrCode) {
	if code := t.ValidateCreateMode(c); code != wire.ErrOK {
		return wire.MultiResult{}, code
	}
	if wire.IsEphemeral(c.Flags) && checkEphemeral != nil {
		if code := checkEphemeral(); code != wire.ErrOK {
			return wire.MultiResult{}, code
		}
	}
	// ZooKeeper 3.8 answers every kind of create inside a multi with a plain
	// create result (type 1, the path only).
	p, _, code := t.Create(zxid, now, sid, auth, c)
	return wire.MultiResult{Type: wire.OpCreate, Resp: &wire.CreateResponse{Path: p}}, code
}
