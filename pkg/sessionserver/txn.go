package sessionserver

import (
	"errors"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Internal transaction types beyond the client opcodes.
const (
	// txnDeleteExpired deletes a container or TTL node if it still qualifies (ContainerManager).
	txnDeleteExpired int32 = wire.OpDeleteContainer
	// txnSetConfig replaces /zookeeper/config (membership changes, from pkg/ensemble).
	txnSetConfig int32 = -100
	// txnCloseSessions closes expired sessions, each at a zxid of its own.
	txnCloseSessions int32 = -101
	// txnSessionOwner records that a session reattached to its origin member:
	// the member it left closes the old connection (ZooKeeper's SessionMoved).
	txnSessionOwner int32 = -102
)

// txn is what a member proposes to the Log: the client's request body plus
// what the proposing member knew (session, time, the connection's identities)
// and where the reply must go (origin member and sequence).
type txn struct {
	Type   int32
	SID    int64
	Cxid   int32
	Time   int64 // wall clock ms, for ctime/mtime
	Origin uint64
	Seq    uint64
	Auth   datatree.Auth
	Body   []byte
}

var errBadTxn = errors.New("sessionserver: malformed transaction")

// txnHeaderSize is the encoded size of a txn without its auth IDs and body:
// type, sid, cxid, time, origin, seq, super, the ID count, the body length.
const txnHeaderSize = 4 + 8 + 4 + 8 + 8 + 8 + 1 + 4 + 4

// encodedSize is exactly how many bytes encode writes, so its buffer is
// allocated once (every write request is encoded on its way to the log).
func (t *txn) encodedSize() int {
	n := txnHeaderSize + len(t.Body)
	for _, id := range t.Auth.IDs {
		n += 4 + len(id.Scheme) + 4 + len(id.ID)
	}
	return n
}

func (t *txn) encode() []byte {
	e := wire.NewEncoder(make([]byte, 0, t.encodedSize()))
	e.WriteInt32(t.Type)
	e.WriteInt64(t.SID)
	e.WriteInt32(t.Cxid)
	e.WriteInt64(t.Time)
	e.WriteInt64(int64(t.Origin))
	e.WriteInt64(int64(t.Seq))
	e.WriteBool(t.Auth.Super)
	e.WriteInt32(int32(len(t.Auth.IDs)))
	for i := range t.Auth.IDs {
		t.Auth.IDs[i].Encode(e)
	}
	e.WriteBuffer(t.Body)
	return e.Bytes()
}

func decodeTxn(b []byte) (*txn, error) {
	d := wire.NewDecoder(b)
	t := &txn{}
	var err error
	read32 := func() int32 {
		var v int32
		if err == nil {
			v, err = d.ReadInt32()
		}
		return v
	}
	read64 := func() int64 {
		var v int64
		if err == nil {
			v, err = d.ReadInt64()
		}
		return v
	}
	t.Type, t.SID, t.Cxid, t.Time = read32(), read64(), read32(), read64()
	t.Origin, t.Seq = uint64(read64()), uint64(read64())
	if err == nil {
		t.Auth.Super, err = d.ReadBool()
	}
	n := read32()
	if err != nil || n < 0 || int(n) > d.Remaining() {
		return nil, errBadTxn
	}
	t.Auth.IDs = make([]wire.Id, n)
	for i := range t.Auth.IDs {
		if err := t.Auth.IDs[i].Decode(d); err != nil {
			return nil, errBadTxn
		}
	}
	if t.Body, err = d.ReadBuffer(); err != nil {
		return nil, errBadTxn
	}
	return t, nil
}

// ConfigTxn encodes a transaction that replaces /zookeeper/config with the
// given server lines ("server.N=...\n" each); the applying member appends
// "version=<zxid in hex>". pkg/ensemble puts one in the log at every
// committed membership change, so every member changes the znode at the same zxid.
func ConfigTxn(lines []byte, wallMillis int64) []byte {
	return (&txn{Type: txnSetConfig, Time: wallMillis, Body: lines}).encode()
}

func encodeSids(sids []int64) []byte {
	e := wire.NewEncoder(make([]byte, 0, 4+8*len(sids)))
	e.WriteInt32(int32(len(sids)))
	for _, sid := range sids {
		e.WriteInt64(sid)
	}
	return e.Bytes()
}

func decodeSids(b []byte) ([]int64, error) {
	d := wire.NewDecoder(b)
	n, err := d.ReadInt32()
	if err != nil || n < 0 || int(n)*8 > d.Remaining() {
		return nil, errBadTxn
	}
	out := make([]int64, n)
	for i := range out {
		if out[i], err = d.ReadInt64(); err != nil {
			return nil, errBadTxn
		}
	}
	return out, nil
}
