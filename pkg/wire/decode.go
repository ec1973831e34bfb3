package wire

import (
	"errors"
	"fmt"
)

// ErrUnknownOpcode reports an opcode the server does not implement.
var ErrUnknownOpcode = errors.New("wire: unknown opcode")

// NewRequestRecord returns an empty request record for op. Requests without
// a body (ping, closeSession, whoAmI) get EmptyRecord.
func NewRequestRecord(op int32) (Record, error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, nil
	case OpDelete:
		return &DeleteRequest{}, nil
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		return &PathWatchRequest{}, nil
	case OpSetData:
		return &SetDataRequest{}, nil
	case OpGetACL, OpSync, OpGetEphemerals, OpGetAllChildrenNumber:
		return &PathRequest{}, nil
	case OpSetACL:
		return &SetACLRequest{}, nil
	case OpCheck:
		return &CheckVersionRequest{}, nil
	case OpMulti, OpMultiRead:
		return &MultiRequest{}, nil
	case OpReconfig:
		return &ReconfigRequest{}, nil
	case OpCheckWatches, OpRemoveWatches:
		return &WatchesRequest{}, nil
	case OpAuth:
		return &AuthPacket{}, nil
	case OpSetWatches:
		return &SetWatches{}, nil
	case OpSetWatches2:
		return &SetWatches2{}, nil
	case OpAddWatch:
		return &AddWatchRequest{}, nil
	case OpSASL:
		return &SASLRequest{}, nil
	case OpPing, OpCloseSession, OpWhoAmI:
		return EmptyRecord{}, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownOpcode, op)
}

// DecodeRequest decodes the body of a request with opcode op. Trailing bytes
// after the record are ignored, as ZooKeeper's BinaryInputArchive does.
func DecodeRequest(op int32, body []byte) (Record, error) {
	rec, err := NewRequestRecord(op)
	if err != nil {
		return nil, err
	}
	if err := decodeRecord(rec, body); err != nil {
		return nil, err
	}
	return rec, nil
}

// decodeRecord decodes body into rec. The records of the most frequent
// requests are decoded through their concrete type, so that their Decoder
// stays on the stack (a call through the interface lets it escape).
func decodeRecord(rec Record, body []byte) error {
	d := Decoder{b: body}
	switch r := rec.(type) {
	case *SetDataRequest:
		return r.Decode(&d)
	case *PathWatchRequest:
		return r.Decode(&d)
	case *CreateRequest:
		return r.Decode(&d)
	case *DeleteRequest:
		return r.Decode(&d)
	}
	return rec.Decode(NewDecoder(body))
}

// Marshal encodes records back to back into a new slice.
func Marshal(recs ...Record) []byte {
	e := NewEncoder(nil)
	for _, r := range recs {
		r.Encode(e)
	}
	return e.Bytes()
}

// Unmarshal decodes b into records in order.
func Unmarshal(b []byte, recs ...Record) error {
	d := NewDecoder(b)
	for _, r := range recs {
		if err := r.Decode(d); err != nil {
			return err
		}
	}
	return nil
}
