package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Kind is a frame's kind. The transport owns KindRaft and KindSnapshot; a
// member registers handlers for its own kinds (Handle).
type Kind byte

const (
	// KindRaft carries one Raft message (all but snapshots).
	KindRaft Kind = 0
	// KindSnapshot carries a chunk of a Raft snapshot message.
	KindSnapshot Kind = 4
)

// Bounds of what a peer can make a member hold.
const (
	// DefaultMaxFrame bounds a frame: a Raft append carries at most
	// MaxSizePerMsg of entries, or one entry of up to jute.maxbuffer.
	DefaultMaxFrame = 8 << 20
	// snapshotChunk is how much of a snapshot one frame carries.
	snapshotChunk = 1 << 20
	// DefaultMaxSnapshot bounds a snapshot message's reassembly.
	DefaultMaxSnapshot = 8 << 30
	// eagerRead is how much of a frame is allocated before its bytes arrive.
	eagerRead = 64 << 10
)

// errFrame is a framing violation: the stream is closed.
var errFrame = errors.New("transport: bad frame")

// readFrame reads one frame. Memory grows only as bytes arrive, so a header
// announcing a large frame costs nothing until the peer sends it; frames up
// to eagerRead (nearly all) reuse scratch.
func readFrame(br *bufio.Reader, scratch *[]byte, maxFrame int) (Kind, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:4]))
	if n == 0 || n > maxFrame {
		return 0, nil, fmt.Errorf("%w: %d bytes (limit %d)", errFrame, n, maxFrame)
	}
	if n-1 <= eagerRead {
		if cap(*scratch) < n-1 {
			*scratch = make([]byte, eagerRead)
		}
		body := (*scratch)[:n-1]
		_, err := io.ReadFull(br, body)
		return Kind(hdr[4]), body, err
	}
	var big bytes.Buffer
	if _, err := io.CopyN(&big, br, int64(n-1)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return Kind(hdr[4]), big.Bytes(), nil
}

// appendFrame appends a frame of kind with body to b.
func appendFrame(b []byte, kind Kind, body []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)+1))
	b = append(b, byte(kind))
	return append(b, body...)
}

// appendRaft appends a Raft message frame, marshaling in place.
func appendRaft(b []byte, m *pb.Message) ([]byte, error) {
	n := m.Size()
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, uint32(n+1))
	b = append(b, byte(KindRaft))
	b = append(b, make([]byte, n)...)
	if _, err := m.MarshalTo(b[start+5:]); err != nil {
		return b[:start], err
	}
	return b, nil
}

// Snapshot chunks: total size uint64, offset uint64, then the bytes of the
// marshaled snapshot message from offset.
const chunkHeader = 16

func appendChunk(b []byte, total, off uint64, data []byte) []byte {
	body := make([]byte, 0, chunkHeader+len(data))
	body = binary.BigEndian.AppendUint64(body, total)
	body = binary.BigEndian.AppendUint64(body, off)
	return appendFrame(b, KindSnapshot, append(body, data...))
}

// assembler puts a snapshot message together from its chunks, in order.
type assembler struct {
	max   uint64
	total uint64
	buf   bytes.Buffer
}

// add takes a chunk; it returns the message when the last chunk arrived.
func (a *assembler) add(body []byte) (*pb.Message, error) {
	if len(body) < chunkHeader {
		return nil, fmt.Errorf("%w: short snapshot chunk", errFrame)
	}
	total, off, data := binary.BigEndian.Uint64(body), binary.BigEndian.Uint64(body[8:]), body[chunkHeader:]
	switch {
	case total == 0 || total > a.max:
		return nil, fmt.Errorf("%w: a snapshot of %d bytes (limit %d)", errFrame, total, a.max)
	case off == 0:
		a.total = total
		a.buf.Reset()
	case total != a.total || off != uint64(a.buf.Len()):
		return nil, fmt.Errorf("%w: snapshot chunk at %d of %d, expected %d of %d", errFrame, off, total, a.buf.Len(), a.total)
	}
	if uint64(a.buf.Len()+len(data)) > total {
		return nil, fmt.Errorf("%w: snapshot chunks exceed the announced %d bytes", errFrame, total)
	}
	a.buf.Write(data)
	if uint64(a.buf.Len()) < total {
		return nil, nil
	}
	var m pb.Message
	err := m.Unmarshal(a.buf.Bytes())
	a.buf = bytes.Buffer{} // a snapshot is large: do not keep its memory
	a.total = 0
	if err != nil {
		return nil, fmt.Errorf("%w: undecodable snapshot message: %w", errFrame, err)
	}
	return &m, nil
}
