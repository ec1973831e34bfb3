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
	t := new(txn)
	if err := t.decode(b); err != nil {
		return nil, err
	}
	return t, nil
}

// decode reads t from b. Its body is a slice of b, not a copy (b is a log
// entry, which nobody changes).
func (t *txn) decode(b []byte) error {
	r := txnReader{d: wire.NewDecoder(b)}
	*t = txn{Type: r.i32(), SID: r.i64(), Cxid: r.i32(), Time: r.i64(), Origin: uint64(r.i64()), Seq: uint64(r.i64())}
	t.Auth.Super = r.boolean()
	if k := r.count(1); k > 0 {
		t.Auth.IDs = make([]wire.Id, k)
	}
	for i := range t.Auth.IDs {
		r.read(&t.Auth.IDs[i])
	}
	t.Body = r.buffer()
	if r.err != nil {
		return errBadTxn
	}
	return nil
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
	r := txnReader{d: wire.NewDecoder(b)}
	out := make([]int64, r.count(8))
	for i := range out {
		out[i] = r.i64()
	}
	if r.err != nil {
		return nil, errBadTxn
	}
	return out, nil
}

// createdWithSecret marks a createSession whose client was given an HMAC
// password (a fifth body byte after the timeout). A createSession without it
// comes from a member of the version before secrets, which gave its client
// ZooKeeper's password: that session is legacy on every member.
const createdWithSecret byte = 1

// createSessionBody encodes a createSession's body: the timeout and the mark.
func createSessionBody(timeout int32) []byte {
	e := wire.NewEncoder(make([]byte, 0, 5))
	e.WriteInt32(timeout)
	e.AppendRaw([]byte{createdWithSecret})
	return e.Bytes()
}

// createSession is a decoded createSession body.
type createSession struct {
	timeout    int32
	withSecret bool // the client was given an HMAC password
}

// decodeCreateSession reads a createSession body. It never fails: a short
// body reads as zero-padded (as every member has always read it), and a
// body without the mark is a legacy session.
func decodeCreateSession(body []byte) createSession {
	padded := append(append(make([]byte, 0, len(body)+4), body...), 0, 0, 0, 0)
	r := txnReader{d: wire.NewDecoder(padded)}
	return createSession{timeout: r.i32(), withSecret: len(body) > 4 && body[4] == createdWithSecret}
}
