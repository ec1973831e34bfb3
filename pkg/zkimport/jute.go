package zkimport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
)

// DefaultMaxBuffer is ZooKeeper's jute.maxbuffer default plus its
// zookeeper.jute.maxbuffer.extrasize default (BinaryInputArchive.checkLength).
const DefaultMaxBuffer = 0xfffff + 1024

// errTruncated is the end of the input inside a record.
var errTruncated = errors.New("truncated")

// juteReader reads BinaryInputArchive's encoding from a stream and keeps an
// Adler32 of what it consumed (CheckedInputStream). remaining is how many
// bytes are left when known (-1 for a compressed stream); lengths are bounded
// by it and by maxBuffer.
type juteReader struct {
	r         *bufio.Reader
	sum       hash.Hash32
	remaining int64
	maxBuffer int
	scratch   [8]byte
}

func newJuteReader(r io.Reader, size int64, maxBuffer int) *juteReader {
	return &juteReader{r: bufio.NewReaderSize(r, 256<<10), sum: adler32.New(), remaining: size, maxBuffer: maxBuffer}
}

func (j *juteReader) full(b []byte) error {
	if j.remaining >= 0 && int64(len(b)) > j.remaining {
		return errTruncated
	}
	if _, err := io.ReadFull(j.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errTruncated
		}
		return err
	}
	if j.remaining >= 0 {
		j.remaining -= int64(len(b))
	}
	_, _ = j.sum.Write(b)
	return nil
}

func (j *juteReader) int32() (int32, error) {
	b := j.scratch[:4]
	if err := j.full(b); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}

func (j *juteReader) int64() (int64, error) {
	b := j.scratch[:8]
	if err := j.full(b); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (j *juteReader) byte1() (byte, error) {
	b := j.scratch[:1]
	if err := j.full(b); err != nil {
		return 0, err
	}
	return b[0], nil
}

// length reads a buffer or string length: -1 is null; anything over
// maxBuffer is refused as ZooKeeper refuses it ("Unreasonable length").
func (j *juteReader) length() (int, error) {
	n, err := j.int32()
	if err != nil {
		return 0, err
	}
	switch {
	case n < -1:
		return 0, fmt.Errorf("negative length %d", n)
	case int(n) > j.maxBuffer:
		return 0, fmt.Errorf("unreasonable length %d (jute.maxbuffer %d)", n, j.maxBuffer)
	case j.remaining >= 0 && int64(n) > j.remaining:
		return 0, errTruncated
	}
	return int(n), nil
}

// buffer reads a buffer; null reads as nil.
func (j *juteReader) buffer() ([]byte, error) {
	n, err := j.length()
	if err != nil || n < 0 {
		return nil, err
	}
	b := make([]byte, n)
	return b, j.full(b)
}

func (j *juteReader) string() (string, error) {
	b, err := j.buffer()
	return string(b), err
}

// checksum is the Adler32 of everything consumed so far.
func (j *juteReader) checksum() uint32 { return j.sum.Sum32() }

// seal reads SnapStream's seal (the checksum as a long, then the string
// "/") and checks it against what was consumed before it.
func (j *juteReader) seal() error {
	want := j.checksum()
	got, err := j.int64()
	if err != nil {
		return err
	}
	if _, err := j.string(); err != nil {
		return err
	}
	if uint32(got) != want || got>>32 != 0 {
		return fmt.Errorf("checksum mismatch (file %#x, computed %#x)", got, want)
	}
	return nil
}
