package sessionserver

import (
	"errors"
	"fmt"
	"io"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// maxSnapshotHeader bounds the snapshot header (zxid position, session
// table, password state) a reader accepts: 16 million sessions.
const maxSnapshotHeader = 256 << 20

// SnapshotHeader is the part of a state machine snapshot (Snapshot) before
// the tree: the zxid position and the session table.
type SnapshotHeader struct {
	// Zxid is the last zxid applied when the snapshot was taken.
	Zxid int64
	// Sessions maps each live session to its timeout (ms).
	Sessions map[int64]int32

	term    uint64
	counter uint32
	secret  []byte
	legacy  map[int64]struct{}
}

// ReadSnapshotHeader reads the header of a snapshot that Snapshot wrote,
// leaving r at the start of the tree (datatree.ReadSnapshot).
func ReadSnapshotHeader(r io.Reader) (SnapshotHeader, error) {
	head, err := wire.ReadFrame(r, nil, maxSnapshotHeader)
	if err != nil {
		return SnapshotHeader{}, fmt.Errorf("snapshot header: %w", err)
	}
	d := wire.NewDecoder(head)
	term, err1 := d.ReadInt64()
	counter, err2 := d.ReadInt32()
	last, err3 := d.ReadInt64()
	n, err4 := d.ReadInt32()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return SnapshotHeader{}, fmt.Errorf("snapshot header: %w", err)
	}
	if n < 0 || int(n)*12 > d.Remaining() {
		return SnapshotHeader{}, fmt.Errorf("snapshot header: %d sessions", n)
	}
	h := SnapshotHeader{Zxid: last, Sessions: make(map[int64]int32, n), term: uint64(term), counter: uint32(counter)}
	for i := int32(0); i < n; i++ {
		sid, err1 := d.ReadInt64()
		to, err2 := d.ReadInt32()
		if err := errors.Join(err1, err2); err != nil {
			return SnapshotHeader{}, fmt.Errorf("snapshot sessions: %w", err)
		}
		h.Sessions[sid] = to
	}
	if h.secret, h.legacy, err = decodePasswordState(d); err != nil {
		return SnapshotHeader{}, err
	}
	return h, nil
}

// WriteSeedSnapshot writes a state machine snapshot (what Restore reads) of
// tree at zxid with no sessions and no password secret (a new one is made
// when the first session is created): the state a restored or imported
// ensemble starts from (pkg/seed). The tree must hold no session's
// ephemerals (datatree.DropSessionEphemerals).
func WriteSeedSnapshot(w io.Writer, tree *datatree.Tree, zxid int64) error {
	if zxid < 0 {
		return fmt.Errorf("snapshot: zxid %d", zxid)
	}
	sm := &stateMachine{tree: tree, term: uint64(zxid) >> 32, counter: uint32(zxid), sessionTable: map[int64]int32{}}
	sm.lastZxid.Store(zxid)
	return sm.writeSnapshot(w)
}
