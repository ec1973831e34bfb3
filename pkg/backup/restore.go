package backup

import (
	"fmt"
	"io"
	"os"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/seed"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// Restored is what Restore did.
type Restored struct {
	Manifest Manifest
	seed.Written
	Znodes int
}

// Restore reads an archive from r and writes into dst (absent or empty) a
// data directory that serves its tree at its zxid (pkg/seed), for member
// opts.MemberID of ensemble opts.EnsembleID (default: the archive's). The
// snapshot is spooled to a file in tmpDir ("" for the system's) and its
// checksum verified before any of it is parsed.
func Restore(r io.Reader, dst, tmpDir string, opts seed.Options) (Restored, error) {
	f, err := os.CreateTemp(tmpDir, "zkensemble-restore-*")
	if err != nil {
		return Restored{}, err
	}
	defer func() { _ = os.Remove(f.Name()); _ = f.Close() }()
	m, err := Verify(r, f)
	if err != nil {
		return Restored{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Restored{}, err
	}
	h, err := sessionserver.ReadSnapshotHeader(f)
	if err != nil {
		return Restored{}, corrupt("its snapshot: %v", err)
	}
	if Zxid(h.Zxid) != m.Zxid {
		return Restored{}, corrupt("its snapshot is at zxid %s, the manifest says %s", Zxid(h.Zxid), m.Zxid)
	}
	tree, err := datatree.ReadSnapshot(f)
	if err != nil {
		return Restored{}, corrupt("its snapshot's tree: %v", err)
	}
	if opts.EnsembleID == "" {
		opts.EnsembleID = m.EnsembleID
	}
	out := Restored{Manifest: m, Znodes: tree.NodeCount() - 1}
	if out.Written, err = seed.WriteReport(dst, tree, uint64(m.Zxid), opts); err != nil {
		return out, fmt.Errorf("restore: %w", err)
	}
	return out, nil
}
