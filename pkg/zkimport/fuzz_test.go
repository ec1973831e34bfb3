package zkimport

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// FuzzReadSnapshot: any bytes as a snapshot file read without panic or
// unbounded allocation, and whatever reads builds a tree.
func FuzzReadSnapshot(f *testing.F) {
	f.Add(snapshotAt5(nil))
	f.Add(snapshotAt5(&zxidDigest{Zxid: 5, Version: 2, Digest: 1}))
	f.Add(testSnapshot(nil, readOnly, basicNodes(), nil))
	f.Add(gzipped(f, snapshotAt5(nil)))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Plain (length known) and gzip (length unknown: only jute.maxbuffer bounds a length).
		for _, compressed := range []string{"", "gz"} {
			s, err := readSnapshot(bytes.NewReader(b), int64(len(b)), compressed, DefaultMaxBuffer)
			if err != nil {
				continue
			}
			_ = finish(s.m, &Result{})
		}
	})
}

// FuzzReadLog: any bytes as a log file replayed over a small tree without
// panic or unbounded allocation, and the result builds a tree.
func FuzzReadLog(f *testing.F) {
	f.Add(historyLog())
	f.Add(testLog(txnRecord(hdr(6, wire.OpCreate), createBody("/a/b", []byte("b"), false, 1), &txnDigest{Version: 2, Tree: 7})))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := readSnapshot(bytes.NewReader(snapshotAt5(nil)), -1, "", DefaultMaxBuffer)
		if err != nil {
			t.Fatal(err)
		}
		lr, err := newLogReader(bytes.NewReader(b), int64(len(b)), "log.6", DefaultMaxBuffer)
		if err != nil {
			return
		}
		res := &Result{}
		r := &replay{m: s.m, res: res}
		for {
			rec, err := lr.next()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			e, err := decodeEntry(rec)
			if err != nil {
				break
			}
			if err := r.txn(e); err != nil {
				break
			}
		}
		res.Zxid = r.last
		_ = finish(s.m, res)
	})
}
