package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

// TestFrameLengthAloneAllocatesLittle: a frame's length prefix is not
// believed before its bytes arrive. A peer (or a damaged snapshot) that
// announces a frame of 512 MiB and sends 10 bytes must not make the reader
// allocate 512 MiB; a frame whose bytes all arrive is read whole.
func TestFrameLengthAloneAllocatesLittle(t *testing.T) {
	const claimed = 512 << 20
	for _, tc := range []struct {
		name    string
		sent    int
		wantErr error
		maxHeap uint64
	}{
		{"announced, 10 bytes sent", 10, io.ErrUnexpectedEOF, 1 << 20},
		{"announced, 1 MiB sent", 1 << 20, io.ErrUnexpectedEOF, 8 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := binary.BigEndian.AppendUint32(nil, claimed)
			in = append(in, make([]byte, tc.sent)...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadFrame(bytes.NewReader(in), nil, 1<<30)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFrame: %v, want %v", err, tc.wantErr)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxHeap {
				t.Errorf("allocated %d bytes for %d bytes sent (claimed %d), want at most %d", got, tc.sent, claimed, tc.maxHeap)
			}
		})
	}
	t.Run("whole large frame", func(t *testing.T) {
		payload := bytes.Repeat([]byte("z"), 3<<20+17)
		got, err := ReadFrame(bytes.NewReader(AppendFrame(nil, payload)), nil, 1<<30)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("ReadFrame of a %d-byte frame: %d bytes, %v", len(payload), len(got), err)
		}
	})
}
