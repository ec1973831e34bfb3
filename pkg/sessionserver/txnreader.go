package sessionserver

import "github.com/zkensemble/zkensemble/pkg/wire"

// txnReader reads a transaction's fields in sequence; the first error sticks
// and later reads return zero values, so a decoder checks err once. It is the
// one way transactions and their bodies are decoded (txn.go).
type txnReader struct {
	d   *wire.Decoder
	err error
}

func (r *txnReader) i32() int32 {
	if r.err != nil {
		return 0
	}
	v, err := r.d.ReadInt32()
	r.err = err
	return v
}

func (r *txnReader) i64() int64 {
	if r.err != nil {
		return 0
	}
	v, err := r.d.ReadInt64()
	r.err = err
	return v
}

func (r *txnReader) boolean() bool {
	if r.err != nil {
		return false
	}
	v, err := r.d.ReadBool()
	r.err = err
	return v
}

// buffer reads a buffer as a slice of the input, not a copy: transactions
// are decoded from log entries, which nobody changes.
func (r *txnReader) buffer() []byte {
	if r.err != nil {
		return nil
	}
	v, err := r.d.ReadBufferShared()
	r.err = err
	return v
}

// count reads an element count and checks that that many elements of at
// least minSize bytes each fit in what is left (0 after an error).
func (r *txnReader) count(minSize int) int {
	n := r.i32()
	if r.err == nil && (n < 0 || int(n) > r.d.Remaining()/minSize) {
		r.err = errBadTxn
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// read decodes a record.
func (r *txnReader) read(rec interface{ Decode(*wire.Decoder) error }) {
	if r.err == nil {
		r.err = rec.Decode(r.d)
	}
}
