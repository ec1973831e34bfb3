package wire

import (
	"encoding/binary"
	"errors"
)

// ErrShortBuffer reports a record that ends before its declared contents.
var ErrShortBuffer = errors.New("wire: record truncated")

// ErrBadLength reports a negative length other than -1 (null).
var ErrBadLength = errors.New("wire: invalid length")

// Encoder appends Jute-encoded values to a byte slice.
type Encoder struct {
	buf    []byte
	frames []int
}

// NewEncoder returns an Encoder that appends to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of encoded bytes.
func (e *Encoder) Len() int { return len(e.buf) }

// Truncate drops everything encoded after the first n bytes (n must not
// fall inside an open frame).
func (e *Encoder) Truncate(n int) { e.buf = e.buf[:n] }

// Reset empties the encoder, keeping its buffer.
func (e *Encoder) Reset() { e.buf = e.buf[:0]; e.frames = e.frames[:0] }

// BeginFrame reserves a 4-byte length prefix; EndFrame fills it in, so a
// framed packet is built without a copy.
func (e *Encoder) BeginFrame() {
	e.frames = append(e.frames, len(e.buf))
	e.buf = append(e.buf, 0, 0, 0, 0)
}

// EndFrame patches the length of the frame opened by the last BeginFrame.
func (e *Encoder) EndFrame() {
	start := e.frames[len(e.frames)-1]
	e.frames = e.frames[:len(e.frames)-1]
	binary.BigEndian.PutUint32(e.buf[start:], uint32(len(e.buf)-start-4))
}

func (e *Encoder) WriteInt32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }
func (e *Encoder) WriteInt64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

func (e *Encoder) WriteBool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// WriteString writes a Jute ustring (an empty string is length 0, never null).
func (e *Encoder) WriteString(s string) {
	e.WriteInt32(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// WriteBuffer writes a Jute buffer; nil is written as length -1.
func (e *Encoder) WriteBuffer(b []byte) {
	if b == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// WriteStringVector writes a vector<ustring>; nil is written as count -1.
func (e *Encoder) WriteStringVector(v []string) {
	if v == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(v)))
	for _, s := range v {
		e.WriteString(s)
	}
}

// WriteRecord encodes r.
func (e *Encoder) WriteRecord(r Record) { r.Encode(e) }

// Decoder reads Jute-encoded values from a byte slice.
type Decoder struct {
	b   []byte
	off int
	err error // sticky error of the unexported readers used by record decoders
}

// NewDecoder returns a Decoder over b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) - d.off }

// Offset is the number of bytes read so far.
func (d *Decoder) Offset() int { return d.off }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.b[d.off:] }

func (d *Decoder) ReadInt32() (int32, error) {
	if d.Remaining() < 4 {
		return 0, ErrShortBuffer
	}
	v := int32(binary.BigEndian.Uint32(d.b[d.off:]))
	d.off += 4
	return v, nil
}

func (d *Decoder) ReadInt64() (int64, error) {
	if d.Remaining() < 8 {
		return 0, ErrShortBuffer
	}
	v := int64(binary.BigEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return v, nil
}

// ReadBool reads one byte; like Java's reader, any non-zero value is true.
func (d *Decoder) ReadBool() (bool, error) {
	if d.Remaining() < 1 {
		return false, ErrShortBuffer
	}
	v := d.b[d.off] != 0
	d.off++
	return v, nil
}

func (d *Decoder) readLen() (int, error) {
	n, err := d.ReadInt32()
	if err != nil {
		return 0, err
	}
	if n < -1 {
		return 0, ErrBadLength
	}
	if n > 0 && int(n) > d.Remaining() {
		return 0, ErrShortBuffer
	}
	return int(n), nil
}

// ReadString reads a ustring; a null string (-1) reads as "".
func (d *Decoder) ReadString() (string, error) {
	n, err := d.readLen()
	if err != nil || n <= 0 {
		return "", err
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s, nil
}

// ReadBufferShared reads a buffer as ReadBuffer does, but returns a slice of
// the decoder's input instead of a copy: only for input that nobody changes
// afterwards (a committed log entry).
func (d *Decoder) ReadBufferShared() ([]byte, error) {
	n, err := d.readLen()
	if err != nil || n < 0 {
		return nil, err
	}
	b := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return b, nil
}

// ReadBuffer reads a buffer; length -1 reads as nil. The result is a copy.
func (d *Decoder) ReadBuffer() ([]byte, error) {
	n, err := d.readLen()
	if err != nil || n < 0 {
		return nil, err
	}
	b := make([]byte, n)
	copy(b, d.b[d.off:d.off+n])
	d.off += n
	return b, nil
}

// ReadStringVector reads a vector<ustring>; count -1 reads as nil.
func (d *Decoder) ReadStringVector() ([]string, error) {
	n, err := d.readCount(4)
	if err != nil || n < 0 {
		return nil, err
	}
	v := make([]string, 0, n)
	for i := 0; i < n; i++ {
		s, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		v = append(v, s)
	}
	return v, nil
}

// readCount reads a vector count and checks it against the smallest possible
// encoded element size, so a huge count cannot force a huge allocation.
func (d *Decoder) readCount(minElem int) (int, error) {
	n, err := d.ReadInt32()
	if err != nil {
		return 0, err
	}
	if n < -1 {
		return 0, ErrBadLength
	}
	if n > 0 && int64(n)*int64(minElem) > int64(d.Remaining()) {
		return 0, ErrShortBuffer
	}
	return int(n), nil
}

// Sticky readers: record decoders call these in sequence and check d.err once.

func (d *Decoder) i32() int32 {
	if d.err != nil {
		return 0
	}
	v, err := d.ReadInt32()
	d.err = err
	return v
}

func (d *Decoder) i64() int64 {
	if d.err != nil {
		return 0
	}
	v, err := d.ReadInt64()
	d.err = err
	return v
}

func (d *Decoder) boolean() bool {
	if d.err != nil {
		return false
	}
	v, err := d.ReadBool()
	d.err = err
	return v
}

func (d *Decoder) str() string {
	if d.err != nil {
		return ""
	}
	v, err := d.ReadString()
	d.err = err
	return v
}

func (d *Decoder) buffer() []byte {
	if d.err != nil {
		return nil
	}
	v, err := d.ReadBuffer()
	d.err = err
	return v
}

func (d *Decoder) strs() []string {
	if d.err != nil {
		return nil
	}
	v, err := d.ReadStringVector()
	d.err = err
	return v
}

// done returns and clears the sticky error.
func (d *Decoder) done() error {
	err := d.err
	d.err = nil
	return err
}

// AppendRaw appends b as is (an already encoded record).
func (e *Encoder) AppendRaw(b []byte) { e.buf = append(e.buf, b...) }
