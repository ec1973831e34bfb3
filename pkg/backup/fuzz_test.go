package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// FuzzVerify: the archive reader takes any bytes without panicking, and
// passes only an archive whose snapshot has the size and checksum its
// manifest gives.
func FuzzVerify(f *testing.F) {
	good, _ := testArchive(f, []byte("a small snapshot"))
	f.Add(good)
	f.Add(good[:700])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var snap bytes.Buffer
		m, err := Verify(bytes.NewReader(b), &snap)
		if err != nil {
			return
		}
		sum := sha256.Sum256(snap.Bytes())
		if int64(snap.Len()) != m.SnapshotSize || hex.EncodeToString(sum[:]) != m.SnapshotSHA256 {
			t.Fatalf("passed an archive whose snapshot (%d bytes) does not match its manifest %+v", snap.Len(), m)
		}
	})
}
