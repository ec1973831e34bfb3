package wire

import (
	"bytes"
	"testing"
)

func FuzzDecodeRequest(f *testing.F) {
	for _, r := range sampleRecords() {
		for _, op := range []int32{OpCreate, OpMulti, OpSetWatches2, OpSetACL, OpAuth} {
			f.Add(op, Marshal(r))
		}
	}
	f.Add(OpMulti, unhex(f, "00000001 00 ffffffff 00000002 2f61 ffffffff 00000000 00000000 ffffffff 01 ffffffff"))
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		rec, err := DecodeRequest(op, body)
		if err != nil {
			return
		}
		// What decodes must re-encode and decode to the same record.
		raw := Marshal(rec)
		again, err := DecodeRequest(op, raw)
		if err != nil {
			t.Fatalf("re-decode of %T: %v", rec, err)
		}
		if !bytes.Equal(Marshal(again), raw) {
			t.Fatalf("%T not stable", rec)
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, []byte("hello")))
	f.Add([]byte{0x72, 0x75, 0x6f, 0x6b})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			if _, err := ReadFrame(r, nil, 4096); err != nil {
				return
			}
		}
	})
}
