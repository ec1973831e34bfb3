package backup

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// The archive's members, in order.
const (
	manifestFile = "manifest.json"
	snapshotFile = "snapshot"
	// maxManifest bounds the manifest a reader takes.
	maxManifest = 64 << 10
)

// ErrCorrupt is wrapped by every error about an archive's content.
var ErrCorrupt = errors.New("backup archive refused")

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
}

// ArchiveSize is the size of the archive Write makes for a manifest of
// manifestLen bytes and a snapshot of snapshotLen bytes.
func ArchiveSize(manifestLen, snapshotLen int64) int64 {
	const block = 512
	pad := func(n int64) int64 { return (n + block - 1) / block * block }
	return block + pad(manifestLen) + block + pad(snapshotLen) + 2*block
}

// EncodeManifest is the manifest as the archive holds it.
func EncodeManifest(m Manifest) ([]byte, error) {
	m.FormatVersion = FormatVersion
	return json.MarshalIndent(m, "", "  ")
}

// Write writes an archive of the manifest (encoded by EncodeManifest) and
// the snapshot, which must be m.SnapshotSize bytes long.
func Write(w io.Writer, manifest []byte, snapshot io.Reader, snapshotSize int64, created time.Time) error {
	tw := tar.NewWriter(w)
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: created.Truncate(time.Second), Format: tar.FormatUSTAR}
	}
	if err := tw.WriteHeader(hdr(manifestFile, int64(len(manifest)))); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	if err := tw.WriteHeader(hdr(snapshotFile, snapshotSize)); err != nil {
		return err
	}
	if n, err := io.Copy(tw, snapshot); err != nil {
		return err
	} else if n != snapshotSize {
		return fmt.Errorf("backup: the snapshot has %d bytes, %d announced", n, snapshotSize)
	}
	return tw.Close()
}

// Reader reads an archive: its manifest at once, then its snapshot, whose
// size and checksum are checked when it is read to the end.
type Reader struct {
	Manifest Manifest
	tr       *tar.Reader
	hash     hash.Hash
	n        int64
	done     bool
}

// Open reads the archive's manifest and checks it.
func Open(r io.Reader) (*Reader, error) {
	tr := tar.NewReader(r)
	h, err := next(tr, manifestFile)
	if err != nil {
		return nil, err
	}
	if h.Size > maxManifest {
		return nil, corrupt("its manifest has %d bytes (at most %d)", h.Size, maxManifest)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return nil, truncated("manifest", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, corrupt("its manifest is not JSON: %v", err)
	}
	if err := m.check(); err != nil {
		return nil, corrupt("%v", err)
	}
	h, err = next(tr, snapshotFile)
	if err != nil {
		return nil, err
	}
	if h.Size != m.SnapshotSize {
		return nil, corrupt("its snapshot has %d bytes, the manifest says %d", h.Size, m.SnapshotSize)
	}
	return &Reader{Manifest: m, tr: tr, hash: sha256.New()}, nil
}

func next(tr *tar.Reader, want string) (*tar.Header, error) {
	h, err := tr.Next()
	switch {
	case errors.Is(err, io.EOF):
		return nil, corrupt("it ends before its %s (truncated, or not an archive)", want)
	case err != nil:
		return nil, corrupt("reading its %s: %v (truncated, or not a backup archive)", want, err)
	case h.Name != want || h.Typeflag != tar.TypeReg:
		return nil, corrupt("it holds %q where %s belongs (not a zkensemble backup)", h.Name, want)
	}
	return h, nil
}

func truncated(what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt("its %s is cut short (truncated)", what)
	}
	return corrupt("reading its %s: %v", what, err)
}

// Read reads the snapshot. At its end it returns io.EOF only when the
// snapshot has its announced size and checksum and nothing follows it in
// the archive; otherwise an error wrapping ErrCorrupt.
func (r *Reader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	n, err := r.tr.Read(p)
	r.hash.Write(p[:n])
	r.n += int64(n)
	if errors.Is(err, io.EOF) {
		if err := r.finish(); err != nil {
			return n, err
		}
		r.done = true
		return n, io.EOF
	}
	if err != nil {
		return n, truncated("snapshot", err)
	}
	return n, nil
}

func (r *Reader) finish() error {
	if r.n != r.Manifest.SnapshotSize {
		return corrupt("its snapshot has %d of %d bytes (truncated)", r.n, r.Manifest.SnapshotSize)
	}
	if sum := hex.EncodeToString(r.hash.Sum(nil)); sum != r.Manifest.SnapshotSHA256 {
		return corrupt("its snapshot's SHA-256 is %s, the manifest says %s (altered or damaged)", sum, r.Manifest.SnapshotSHA256)
	}
	switch h, err := r.tr.Next(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return corrupt("after its snapshot: %v (truncated)", err)
	default:
		return corrupt("it holds %q after its snapshot (not a zkensemble backup)", h.Name)
	}
}

// Verify reads a whole archive, copying its snapshot to dst (io.Discard to
// only check it), and returns its manifest once size and checksum match.
func Verify(r io.Reader, dst io.Writer) (Manifest, error) {
	ar, err := Open(r)
	if err != nil {
		return Manifest{}, err
	}
	if _, err := io.Copy(dst, ar); err != nil {
		return Manifest{}, err
	}
	return ar.Manifest, nil
}
