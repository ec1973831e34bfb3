package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// TestMessagesAreTheStreamsOwn: an authenticated member cannot speak for
// another member, nor address a message to anyone but the acceptor.
func TestMessagesAreTheStreamsOwn(t *testing.T) {
	a := newNode(t, 1, "e", withSecret("s"))
	b := newNode(t, 2, "e", withSecret("s"))
	c := newNode(t, 3, "e", withSecret("s"))
	knows(a, b, c)
	b.t.AddPeer(1, a.t.Addr())
	// Raft sends what its messages say; a stream carries them as they are.
	b.t.Send([]pb.Message{heartbeat(3, 1), {Type: pb.MsgHeartbeat, From: 2, To: 9}, {Type: pb.MsgApp, From: 2, To: 1, Term: 7}})
	if m := a.raf.expect(t, "the member's own message"); m.From != 2 || m.Type != pb.MsgApp {
		t.Fatalf("delivered %v from %d: a message in another member's name got through", m.Type, m.From)
	}
	a.raf.none(t, "after the member's own message")
}

// TestProposalsAreChecked: Members vets every forwarded proposal.
func TestProposalsAreChecked(t *testing.T) {
	a := newNode(t, 1, "e", withSecret("s"))
	b := newNode(t, 2, "e", withSecret("s"))
	knows(a, b)
	a.mem.propose = func(from uint64, m *pb.Message) error {
		for _, e := range m.Entries {
			if bytes.HasPrefix(e.Data, []byte("forged")) {
				return errors.New("forged")
			}
		}
		return nil
	}
	b.t.AddPeer(1, a.t.Addr())
	prop := func(data string) pb.Message {
		return pb.Message{Type: pb.MsgProp, From: 2, To: 1, Entries: []pb.Entry{{Data: []byte(data)}}}
	}
	b.t.Send([]pb.Message{prop("forged super txn"), prop("a client's write")})
	if m := a.raf.expect(t, "a valid proposal"); string(m.Entries[0].Data) != "a client's write" {
		t.Fatalf("delivered %q", m.Entries[0].Data)
	}
	a.raf.none(t, "after the valid proposal")
}

// TestProposalDoesNotBlockStream: a member that knows no leader cannot take
// a forwarded proposal (Raft's Step waits for a leader). The stream must go
// on: the append behind the proposal is how the member learns the leader.
func TestProposalDoesNotBlockStream(t *testing.T) {
	a := newNode(t, 1, "e")
	a.raf.process = func(ctx context.Context, m pb.Message) error {
		if m.Type == pb.MsgProp {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(30 * time.Second): // bounded, so a failing test ends
				return nil
			}
		}
		a.raf.got <- m
		return nil
	}
	b := newNode(t, 2, "e")
	knows(a, b)
	b.t.AddPeer(1, a.t.Addr())
	b.t.Send([]pb.Message{
		{Type: pb.MsgProp, From: 2, To: 1, Entries: []pb.Entry{{Data: []byte("x")}}},
		{Type: pb.MsgApp, From: 2, To: 1, Term: 4},
	})
	if m := a.raf.expect(t, "the append behind an untakeable proposal"); m.Type != pb.MsgApp {
		t.Fatalf("delivered %v", m.Type)
	}
}

// TestFrameHeaderAllocatesNothing: a header announcing a large frame costs
// nothing until the bytes arrive (a 5-byte header used to allocate up to 1 GiB).
func TestFrameHeaderAllocatesNothing(t *testing.T) {
	var in bytes.Buffer
	in.Write(binary.BigEndian.AppendUint32(nil, DefaultMaxFrame))
	in.WriteByte(byte(KindRaft))
	in.WriteString("only a few bytes follow")
	var buf []byte
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := readFrame(bufio.NewReaderSize(&in, 64), &buf, DefaultMaxFrame)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("a header announcing %d bytes allocated %d bytes before they came", DefaultMaxFrame, got)
	}
	t.Logf("a %d-byte frame announced, 23 bytes sent: %d bytes allocated", DefaultMaxFrame, after.TotalAlloc-before.TotalAlloc)
	// Beyond the limit the stream is refused at once.
	in.Reset()
	in.Write(binary.BigEndian.AppendUint32(nil, 1<<30))
	in.WriteByte(byte(KindRaft))
	if _, _, err := readFrame(bufio.NewReader(&in), &buf, DefaultMaxFrame); !errors.Is(err, errFrame) {
		t.Fatalf("a 1 GiB frame: %v", err)
	}
}

// TestHugeFrameClosesStream: a member announcing a frame over the limit
// loses its stream; the acceptor goes on with the others.
func TestHugeFrameClosesStream(t *testing.T) {
	a := newNode(t, 1, "e")
	knows(a)
	a.mem.set(2, "127.0.0.1:1")
	c, br, code, _ := rawDial(t, a.t.Addr(), &hello{ensemble: "e", from: 2, to: 1})
	if code != accepted {
		t.Fatalf("verdict %d", code)
	}
	if _, err := c.Write([]byte{0x40, 0, 0, 0, byte(KindRaft)}); err != nil {
		t.Fatal(err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("the stream stayed open after a 1 GiB frame header: %v", err)
	}
}

// TestSnapshotTravelsInChunks: a snapshot larger than a frame arrives whole.
func TestSnapshotTravelsInChunks(t *testing.T) {
	a := newNode(t, 1, "e", withSecret("s"))
	b := newNode(t, 2, "e", withSecret("s"), func(c *Config) { c.MaxFrame = 2 * snapshotChunk })
	knows(a, b)
	data := bytes.Repeat([]byte("snapshot-"), 400_000) // 3.6 MB: four chunks
	b.t.AddPeer(1, a.t.Addr())
	b.t.Send([]pb.Message{{Type: pb.MsgSnap, From: 2, To: 1, Term: 3, Snapshot: &pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{Index: 10, Term: 3}}}})
	m := a.raf.expect(t, "a snapshot")
	if m.Type != pb.MsgSnap || !bytes.Equal(m.Snapshot.Data, data) || m.Snapshot.Metadata.Index != 10 {
		t.Fatalf("got %v with %d bytes", m.Type, len(m.Snapshot.Data))
	}
	select {
	case s := <-b.raf.snapshots:
		if s != raft.SnapshotFinish {
			t.Fatalf("snapshot reported %v", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the snapshot was never reported sent")
	}
}

func TestSnapshotAssembler(t *testing.T) {
	whole, err := (&pb.Message{Type: pb.MsgSnap, From: 2, To: 1, Snapshot: &pb.Snapshot{Data: []byte(strings.Repeat("x", 100))}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	chunk := func(total, off uint64, data []byte) []byte {
		return appendChunk(nil, total, off, data)[5:]
	}
	n := uint64(len(whole))
	tests := []struct {
		name   string
		chunks [][]byte
		max    uint64
		ok     bool
	}{
		{name: "in order", chunks: [][]byte{chunk(n, 0, whole[:50]), chunk(n, 50, whole[50:])}, max: 1 << 20, ok: true},
		{name: "a gap", chunks: [][]byte{chunk(n, 0, whole[:50]), chunk(n, 60, whole[60:])}, max: 1 << 20},
		{name: "starts midway", chunks: [][]byte{chunk(n, 50, whole[50:])}, max: 1 << 20},
		{name: "over the limit", chunks: [][]byte{chunk(1<<40, 0, whole)}, max: 1 << 20},
		{name: "more than announced", chunks: [][]byte{chunk(10, 0, whole)}, max: 1 << 20},
		{name: "total changes", chunks: [][]byte{chunk(n, 0, whole[:50]), chunk(n+1, 50, whole[50:])}, max: 1 << 20},
		{name: "short", chunks: [][]byte{{1, 2, 3}}, max: 1 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := assembler{max: tc.max}
			var got *pb.Message
			var err error
			for _, c := range tc.chunks {
				if got, err = a.add(c); err != nil {
					break
				}
			}
			if tc.ok != (err == nil && got != nil) {
				t.Fatalf("got %v, %v; want ok=%v", got, err, tc.ok)
			}
			if tc.ok && len(got.Snapshot.Data) != 100 {
				t.Fatalf("reassembled %d bytes", len(got.Snapshot.Data))
			}
		})
	}
}
