package seed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Options names the member the data directory belongs to.
type Options struct {
	// EnsembleID is the ensemble's identity (the server's --ensemble-id, the
	// operator's ZKEnsemble UID), stamped into the directory. Required.
	EnsembleID string
	// MemberID is the member's id (myid), 1..255; 0 means 1.
	MemberID uint64
	// PeerAddr, ClientAddr and ElectionPort are the member's server line as
	// the log records it (/zookeeper/config, the address joining members are
	// told). Optional: empty, members reach it at the address in their own
	// server lines (pods: its DNS name), and the line is recorded when the
	// member's configuration changes.
	PeerAddr, ClientAddr string
	ElectionPort         int
}

// Written is what Write did.
type Written struct {
	// DroppedEphemerals counts the sessions' ephemeral znodes removed.
	DroppedEphemerals int
}

// Write writes into dst, which must be absent or an empty directory, a
// member's data directory that serves tree at zxid (see the package
// comment). It takes the tree's write lock and changes the tree: session
// ephemerals removed, /zookeeper/config emptied. On failure it removes what
// it wrote.
func Write(dst string, tree *datatree.Tree, zxid uint64, opts Options) error {
	_, err := WriteReport(dst, tree, zxid, opts)
	return err
}

// WriteReport is Write, reporting what it did.
func WriteReport(dst string, tree *datatree.Tree, zxid uint64, opts Options) (Written, error) {
	if opts.MemberID == 0 {
		opts.MemberID = 1
	}
	switch {
	case opts.EnsembleID == "":
		return Written{}, errors.New("seed: an ensemble id is required")
	case opts.MemberID > 255:
		return Written{}, fmt.Errorf("seed: member id %d out of range 1..255", opts.MemberID)
	case zxid > math.MaxInt64:
		return Written{}, fmt.Errorf("seed: zxid %#x out of range", zxid)
	}
	if err := makeEmptyDir(dst); err != nil {
		return Written{}, err
	}
	var w Written
	var state bytes.Buffer
	tree.Lock()
	w.DroppedEphemerals = tree.DropSessionEphemerals(int64(zxid))
	tree.SetConfig(0, 0, []byte{})
	err := sessionserver.WriteSeedSnapshot(&state, tree, int64(zxid))
	tree.Unlock()
	if err != nil {
		return Written{}, fmt.Errorf("seed: serialising the tree: %w", err)
	}
	if err := write(dst, state.Bytes(), zxid, opts); err != nil {
		cleanUp(dst)
		return Written{}, err
	}
	return w, nil
}

func write(dst string, state []byte, zxid uint64, opts Options) error {
	s := ensemble.Seed{
		Member: ensemble.MemberInfo{ID: opts.MemberID, PeerAddr: opts.PeerAddr, ClientAddr: opts.ClientAddr, ElectionPort: opts.ElectionPort},
		Term:   max(zxid>>32, 1),
		Index:  1,
		Data:   state,
	}
	if err := ensemble.WriteSeed(filepath.Join(dst, "version-2"), s); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dst, "myid"), []byte(strconv.FormatUint(opts.MemberID, 10)+"\n"), 0o640); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := ensemble.CheckStamp(dst, opts.EnsembleID, opts.MemberID); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

// makeEmptyDir creates dst, or checks that it is an empty directory.
func makeEmptyDir(dst string) error {
	if err := CheckEmpty(dst); err != nil {
		return err
	}
	return os.MkdirAll(dst, 0o750)
}

// CheckEmpty reports an error unless dst is absent or an empty directory.
func CheckEmpty(dst string) error {
	f, err := os.Open(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer func() { _ = f.Close() }()
	names, err := f.Readdirnames(1)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("seed: %s: %w", dst, err)
	}
	return fmt.Errorf("seed: %s is not empty (it holds %s); refusing to write over a data directory: give an empty one", dst, names[0])
}

// cleanUp removes what write may have created in dst.
func cleanUp(dst string) {
	for _, name := range []string{"version-2", "myid", "zkensemble.stamp", "zkensemble.stamp.tmp"} {
		_ = os.RemoveAll(filepath.Join(dst, name))
	}
}
