package zkimport

import (
	"errors"
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// txnHeader is zookeeper.jute's TxnHeader.
type txnHeader struct {
	ClientID int64
	Cxid     int32
	Zxid     int64
	Time     int64
	Type     int32
}

// txn is one decoded transaction record (the fields its type uses).
type txn struct {
	Path           string
	Data           []byte
	ACL            []wire.ACL
	Ephemeral      bool
	ParentCVersion int32
	TTL            int64
	Version        int32
	Timeout        int32    // createSession
	Paths          []string // closeSession's paths2Delete; nil when absent
	Err            int32    // error
	Sub            []subTxn // multi
}

type subTxn struct {
	Type int32
	Txn  txn
}

// txnDigest is the TxnDigest that follows a record when digests are on.
type txnDigest struct {
	Version int32
	Tree    int64
}

// logEntry is one log record: SerializeUtils.deserializeTxn.
type logEntry struct {
	Hdr    txnHeader
	Txn    txn
	Digest *txnDigest
}

var errUnknownTxn = errors.New("unknown transaction type")

func decodeEntry(b []byte) (logEntry, error) {
	d := wire.NewDecoder(b)
	var e logEntry
	h := &e.Hdr
	var err error
	if h.ClientID, err = d.ReadInt64(); err == nil {
		if h.Cxid, err = d.ReadInt32(); err == nil {
			if h.Zxid, err = d.ReadInt64(); err == nil {
				if h.Time, err = d.ReadInt64(); err == nil {
					h.Type, err = d.ReadInt32()
				}
			}
		}
	}
	if err != nil {
		return e, fmt.Errorf("txn header: %w", err)
	}
	start := d.Offset()
	switch h.Type {
	case wire.OpCloseSession:
		// Before CloseSessionTxn existed the record was empty (ZooKeeper reads
		// it on EOF as no paths).
		if p, err := d.ReadStringVector(); err == nil {
			e.Txn.Paths = p
			if p == nil {
				e.Txn.Paths = []string{}
			}
		} else {
			d = wire.NewDecoder(b[start:])
		}
	case wire.OpCreate:
		if err := decodeTxn(d, h.Type, &e.Txn); err != nil {
			// A version-0 create had no parentCVersion (-1 fixes it up).
			d = wire.NewDecoder(b[start:])
			if err := decodeCreateV0(d, &e.Txn); err != nil {
				return e, fmt.Errorf("zxid %#x create: %w", h.Zxid, err)
			}
		}
	default:
		if err := decodeTxn(d, h.Type, &e.Txn); err != nil {
			return e, fmt.Errorf("zxid %#x type %d: %w", h.Zxid, h.Type, err)
		}
	}
	if d.Remaining() >= 12 {
		v, _ := d.ReadInt32()
		t, _ := d.ReadInt64()
		e.Digest = &txnDigest{Version: v, Tree: t}
	}
	return e, nil
}

func decodeCreateV0(d *wire.Decoder, t *txn) error {
	var err error
	if t.Path, err = d.ReadString(); err != nil {
		return err
	}
	if t.Data, err = d.ReadBuffer(); err != nil {
		return err
	}
	if t.ACL, err = readACLs(d); err != nil {
		return err
	}
	t.Ephemeral, err = d.ReadBool()
	t.ParentCVersion = -1
	return err
}

// decodeTxn reads the record of type typ (top level or inside a multi).
func decodeTxn(d *wire.Decoder, typ int32, t *txn) error {
	r := recReader{d: d}
	switch typ {
	case wire.OpCreate, wire.OpCreate2:
		t.Path, t.Data, t.ACL, t.Ephemeral, t.ParentCVersion = r.str(), r.buf(), r.acls(), r.boolean(), r.i32()
		t.TTL = -1
	case wire.OpCreateTTL:
		t.Path, t.Data, t.ACL, t.ParentCVersion, t.TTL = r.str(), r.buf(), r.acls(), r.i32(), r.i64()
	case wire.OpCreateContainer:
		t.Path, t.Data, t.ACL, t.ParentCVersion = r.str(), r.buf(), r.acls(), r.i32()
	case wire.OpDelete, wire.OpDeleteContainer:
		t.Path = r.str()
	case wire.OpSetData, wire.OpReconfig:
		t.Path, t.Data, t.Version = r.str(), r.buf(), r.i32()
	case wire.OpCheck:
		t.Path, t.Version = r.str(), r.i32()
	case wire.OpSetACL:
		t.Path, t.ACL, t.Version = r.str(), r.acls(), r.i32()
	case wire.OpCreateSession:
		t.Timeout = r.i32()
	case wire.OpError:
		t.Err = r.i32()
	case wire.OpMulti:
		t.Sub = r.multi()
	default:
		return fmt.Errorf("%w %d", errUnknownTxn, typ)
	}
	return r.err
}

// recReader reads fields in order and keeps the first error.
type recReader struct {
	d   *wire.Decoder
	err error
}

func (r *recReader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *recReader) i32() int32 {
	if r.err != nil {
		return 0
	}
	v, err := r.d.ReadInt32()
	r.keep(err)
	return v
}

func (r *recReader) i64() int64 {
	if r.err != nil {
		return 0
	}
	v, err := r.d.ReadInt64()
	r.keep(err)
	return v
}

func (r *recReader) boolean() bool {
	if r.err != nil {
		return false
	}
	v, err := r.d.ReadBool()
	r.keep(err)
	return v
}

func (r *recReader) str() string {
	if r.err != nil {
		return ""
	}
	v, err := r.d.ReadString()
	r.keep(err)
	return v
}

func (r *recReader) buf() []byte {
	if r.err != nil {
		return nil
	}
	v, err := r.d.ReadBuffer()
	r.keep(err)
	return v
}

func (r *recReader) acls() []wire.ACL {
	if r.err != nil {
		return nil
	}
	v, err := readACLs(r.d)
	r.keep(err)
	return v
}

// multi reads a MultiTxn: a vector of (type, buffer) whose buffers hold the
// sub-records.
func (r *recReader) multi() []subTxn {
	n := r.i32()
	if r.err != nil {
		return nil
	}
	if n < 0 || int64(n)*8 > int64(r.d.Remaining()) {
		r.keep(fmt.Errorf("bad multi count %d", n))
		return nil
	}
	var out []subTxn
	for i := int32(0); i < n && r.err == nil; i++ {
		typ, b := r.i32(), r.buf()
		if r.err != nil {
			break
		}
		var s subTxn
		s.Type = typ
		switch typ {
		case wire.OpCreate, wire.OpCreateTTL, wire.OpCreateContainer, wire.OpDelete, wire.OpDeleteContainer,
			wire.OpSetData, wire.OpError, wire.OpCheck:
		default:
			// DataTree: "Invalid type of op".
			r.keep(fmt.Errorf("multi: %w %d", errUnknownTxn, typ))
			return nil
		}
		r.keep(decodeTxn(wire.NewDecoder(b), typ, &s.Txn))
		out = append(out, s)
	}
	return out
}

// readACLs reads a vector<ACL>. A null vector (-1) reads as
// OPEN_ACL_UNSAFE, which is what ReferenceCountedACLCache.convertAcls makes
// of it; an empty one stays empty (no check applies to such a node).
func readACLs(d *wire.Decoder) ([]wire.ACL, error) {
	n, err := d.ReadInt32()
	if err != nil {
		return nil, err
	}
	if n < -1 || int64(n)*12 > int64(d.Remaining()) {
		return nil, fmt.Errorf("bad ACL count %d", n)
	}
	if n == -1 {
		return openACL, nil
	}
	out := []wire.ACL{}
	for i := int32(0); i < n; i++ {
		var a wire.ACL
		if err := a.Decode(d); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
