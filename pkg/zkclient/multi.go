package zkclient

import (
	"context"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Op is one operation of a Multi.
type Op struct{ op wire.MultiOp }

// CreateOp creates a znode inside a multi.
func CreateOp(path string, data []byte, mode int32, acl []ACL, ttl ...time.Duration) Op {
	if wire.IsTTL(mode) && len(ttl) > 0 {
		return Op{wire.MultiOp{Type: wire.OpCreateTTL, Req: &wire.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: mode, TTL: ttl[0].Milliseconds()}}}
	}
	typ := wire.OpCreate
	if mode == Container {
		typ = wire.OpCreateContainer
	}
	return Op{wire.MultiOp{Type: typ, Req: &wire.CreateRequest{Path: path, Data: data, ACL: acl, Flags: mode}}}
}

// DeleteOp deletes a znode inside a multi.
func DeleteOp(path string, version int32) Op {
	return Op{wire.MultiOp{Type: wire.OpDelete, Req: &wire.DeleteRequest{Path: path, Version: version}}}
}

// SetOp sets data inside a multi.
func SetOp(path string, data []byte, version int32) Op {
	return Op{wire.MultiOp{Type: wire.OpSetData, Req: &wire.SetDataRequest{Path: path, Data: data, Version: version}}}
}

// CheckOp requires a znode's version inside a multi.
func CheckOp(path string, version int32) Op {
	return Op{wire.MultiOp{Type: wire.OpCheck, Req: &wire.CheckVersionRequest{Path: path, Version: version}}}
}

// OpResult is the outcome of one operation of a multi.
type OpResult struct {
	Path string // created path, relative to the chroot
	Stat *Stat  // for set
	Err  error  // nil, or the op's error (wire.ErrRuntimeInconsistency for ops after the failing one)
}

// Multi applies ops atomically. On failure nothing changes; the returned
// error is the first op error, and every result carries its own.
func (c *Conn) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	req := &wire.MultiRequest{Ops: make([]wire.MultiOp, len(ops))}
	for i, o := range ops {
		req.Ops[i] = c.chrootOp(o.op)
	}
	var resp wire.MultiResponse
	if err := c.do(ctx, wire.OpMulti, req, &resp, nil); err != nil {
		return nil, err
	}
	return c.results(resp.Results)
}

func (c *Conn) chrootOp(op wire.MultiOp) wire.MultiOp {
	switch r := op.Req.(type) {
	case *wire.CreateRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	case *wire.CreateTTLRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	case *wire.DeleteRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	case *wire.SetDataRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	case *wire.CheckVersionRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	case *wire.PathWatchRequest:
		cp := *r
		cp.Path = c.serverPath(r.Path)
		op.Req = &cp
	}
	return op
}

func (c *Conn) results(in []wire.MultiResult) ([]OpResult, error) {
	out := make([]OpResult, len(in))
	var first error
	for i, r := range in {
		switch resp := r.Resp.(type) {
		case *wire.CreateResponse:
			out[i].Path = c.stripChroot(resp.Path)
		case *wire.Create2Response:
			out[i].Path = c.stripChroot(resp.Path)
			out[i].Stat = &resp.Stat
		case *wire.SetDataResponse:
			out[i].Stat = &resp.Stat
		}
		if r.Type == wire.OpError && r.Err != 0 {
			out[i].Err = wire.ErrCode(r.Err)
			if first == nil && r.Err != int32(wire.ErrRuntimeInconsistency) {
				first = out[i].Err
			}
		}
	}
	return out, first
}

// ReadOp is one read of a MultiRead.
type ReadOp struct{ op wire.MultiOp }

// GetDataOp reads a znode's data inside MultiRead.
func GetDataOp(path string) ReadOp {
	return ReadOp{wire.MultiOp{Type: wire.OpGetData, Req: &wire.PathWatchRequest{Path: path}}}
}

// GetChildrenOp reads a znode's children inside MultiRead.
func GetChildrenOp(path string) ReadOp {
	return ReadOp{wire.MultiOp{Type: wire.OpGetChildren, Req: &wire.PathWatchRequest{Path: path}}}
}

// ReadResult is the outcome of one read of a MultiRead.
type ReadResult struct {
	Data     []byte
	Stat     *Stat
	Children []string
	Err      error
}

// MultiRead runs reads together; each result carries its own error.
func (c *Conn) MultiRead(ctx context.Context, ops ...ReadOp) ([]ReadResult, error) {
	req := &wire.MultiRequest{Ops: make([]wire.MultiOp, len(ops))}
	for i, o := range ops {
		req.Ops[i] = c.chrootOp(o.op)
	}
	var resp wire.MultiResponse
	if err := c.do(ctx, wire.OpMultiRead, req, &resp, nil); err != nil {
		return nil, err
	}
	out := make([]ReadResult, len(resp.Results))
	for i, r := range resp.Results {
		switch v := r.Resp.(type) {
		case *wire.GetDataResponse:
			out[i].Data, out[i].Stat = v.Data, &v.Stat
		case *wire.GetChildrenResponse:
			out[i].Children = v.Children
		}
		if r.Type == wire.OpError {
			out[i].Err = wire.ErrCode(r.Err)
		}
	}
	return out, nil
}
