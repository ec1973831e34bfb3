package wire

import (
	"errors"
	"fmt"
)

// MultiHeader precedes every op and result of a multi, and terminates the list.
type MultiHeader struct {
	Type int32
	Done bool
	Err  int32
}

func (r *MultiHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Type)
	e.WriteBool(r.Done)
	e.WriteInt32(r.Err)
}
func (r *MultiHeader) Decode(d *Decoder) error {
	r.Type, r.Done, r.Err = d.i32(), d.boolean(), d.i32()
	return d.done()
}

// MultiOp is one operation of a multi or multiRead request.
type MultiOp struct {
	Type int32
	Req  Record
}

// MultiRequest is the body of multi and multiRead (MultiOperationRecord).
type MultiRequest struct {
	Ops []MultiOp
}

// ErrBadMultiOp reports an op type that cannot appear in a multi.
var ErrBadMultiOp = errors.New("wire: invalid multi op type")

// minMultiOpBytes is the smallest encoded multi op (its header); with the
// frame size it bounds how many ops a hostile multi can declare.
const minMultiOpBytes = 9

func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		op.Req.Encode(e)
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func newMultiOpRecord(typ int32) (Record, error) {
	switch typ {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, nil
	case OpDelete:
		return &DeleteRequest{}, nil
	case OpSetData:
		return &SetDataRequest{}, nil
	case OpCheck:
		return &CheckVersionRequest{}, nil
	case OpGetChildren:
		return &GetChildrenRequest{}, nil
	case OpGetData:
		return &GetDataRequest{}, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrBadMultiOp, typ)
}

func (r *MultiRequest) Decode(d *Decoder) error {
	r.Ops = r.Ops[:0]
	for {
		var h MultiHeader
		if err := h.Decode(d); err != nil {
			return err
		}
		if h.Done {
			return nil
		}
		if len(r.Ops) > len(d.b)/minMultiOpBytes {
			return ErrShortBuffer
		}
		rec, err := newMultiOpRecord(h.Type)
		if err != nil {
			return err
		}
		if err := rec.Decode(d); err != nil {
			return err
		}
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Req: rec})
	}
}

// MultiResult is one result of a multi or multiRead. Err is the error code
// of an error result (Type OpError); Resp is nil for delete, check and errors.
type MultiResult struct {
	Type int32
	Err  int32
	Resp Record
}

// MultiResponse is the body of the multi and multiRead replies.
type MultiResponse struct {
	Results []MultiResult
}

func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		h := MultiHeader{Type: res.Type, Done: false, Err: 0}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch {
		case res.Type == OpError:
			e.WriteInt32(res.Err)
		case res.Resp != nil:
			res.Resp.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (r *MultiResponse) Decode(d *Decoder) error {
	r.Results = r.Results[:0]
	for {
		var h MultiHeader
		if err := h.Decode(d); err != nil {
			return err
		}
		if h.Done {
			return nil
		}
		res := MultiResult{Type: h.Type, Err: h.Err}
		switch h.Type {
		case OpError:
			var er ErrorResponse
			if err := er.Decode(d); err != nil {
				return err
			}
			res.Err = er.Err
		case OpCreate:
			res.Resp = &CreateResponse{}
		case OpCreate2, OpCreateContainer, OpCreateTTL:
			res.Resp = &Create2Response{}
		case OpSetData:
			res.Resp = &SetDataResponse{}
		case OpGetData:
			res.Resp = &GetDataResponse{}
		case OpGetChildren:
			res.Resp = &GetChildrenResponse{}
		case OpDelete, OpCheck:
		default:
			return fmt.Errorf("%w: result %d", ErrBadMultiOp, h.Type)
		}
		if res.Resp != nil {
			if err := res.Resp.Decode(d); err != nil {
				return err
			}
		}
		r.Results = append(r.Results, res)
	}
}
