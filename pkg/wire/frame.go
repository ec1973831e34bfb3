package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrNegativeLength and ErrFrameTooLarge report a frame length ZooKeeper
// refuses; the connection is closed without a reply.
var (
	ErrNegativeLength = errors.New("wire: negative frame length")
	ErrFrameTooLarge  = errors.New("wire: frame larger than jute.maxbuffer")
)

// FrameLengthError carries the offending length prefix, so a server can
// recognise a four-letter word sent in place of the first frame.
type FrameLengthError struct {
	Length int32
	Err    error
}

func (e *FrameLengthError) Error() string { return fmt.Sprintf("%v: %d", e.Err, e.Length) }
func (e *FrameLengthError) Unwrap() error { return e.Err }

// ReadFrameLength reads the 4-byte big-endian length prefix (from an
// io.ByteReader such as bufio.Reader byte by byte, so that nothing is
// allocated per frame).
func ReadFrameLength(r io.Reader) (int32, error) {
	if br, ok := r.(io.ByteReader); ok {
		var v uint32
		for i := range 4 {
			b, err := br.ReadByte()
			if err != nil {
				if i > 0 && errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return 0, err
			}
			v = v<<8 | uint32(b)
		}
		return int32(v), nil
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(hdr[:])), nil
}

// ReadFrame reads one length-prefixed frame into buf (grown when too small)
// and returns the payload. A length < 0 or > max is a *FrameLengthError.
func ReadFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	n, err := ReadFrameLength(r)
	if err != nil {
		return nil, err
	}
	return ReadFrameBody(r, n, buf, max)
}

// ReadFrameBody reads the payload of a frame whose length prefix is n.
func ReadFrameBody(r io.Reader, n int32, buf []byte, max int) ([]byte, error) {
	if n < 0 {
		return nil, &FrameLengthError{Length: n, Err: ErrNegativeLength}
	}
	if int(n) > max {
		return nil, &FrameLengthError{Length: n, Err: ErrFrameTooLarge}
	}
	if cap(buf) < int(n) && int(n) > eagerFrame {
		return readGrowing(r, int(n), buf)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	return buf, nil
}

// eagerFrame is the largest frame whose buffer is allocated from its length
// prefix alone; a larger one grows as its bytes arrive, so a peer that
// announces a large frame and sends nothing (or a damaged file's length)
// costs no more memory than the bytes it really sent.
const eagerFrame = 64 << 10

// readGrowing reads n bytes into a buffer that at most doubles per read.
func readGrowing(r io.Reader, n int, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		chunk := min(n-len(buf), max(len(buf), eagerFrame))
		buf = slices.Grow(buf, chunk)
		k, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+k]
		if err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends payload with its length prefix to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}
