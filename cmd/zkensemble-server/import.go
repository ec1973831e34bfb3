package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/seed"
	"github.com/zkensemble/zkensemble/pkg/zkimport"
)

// runImport is `zkensemble-server import SRC DST`: it reads an Apache
// ZooKeeper 3.x data directory (a dataDir holding version-2/, version-2
// itself, or a .tar / .tar.gz of either) and writes DST, an empty data
// directory that `zkensemble-server --dataDir DST` serves. DST appears whole
// or not at all: it is written beside DST and renamed.
func runImport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("zkensemble-server import", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: zkensemble-server import [flags] SRC DST\n\n"+
			"SRC: a ZooKeeper dataDir holding version-2/, version-2 itself, or a .tar/.tar.gz of one\n"+
			"     (a path, or an object: s3://bucket/key.tar.gz?endpoint=... with AWS_* credentials, file:///dir/key.tar.gz).\n"+
			"DST: an absent or empty directory, then served with --dataDir DST.\n\n")
		fs.PrintDefaults()
	}
	ensembleID := fs.String("ensemble-id", "default", "the ensemble DST is stamped for (the server's --ensemble-id)")
	myid := fs.Uint64("myid", 1, "the member id DST belongs to (the first member of the new ensemble)")
	logDir := fs.String("dataLogDir", "", "ZooKeeper's dataLogDir, when its logs are not in SRC (a directory)")
	dstLogDir := fs.String("dst-log-dir", "", "the new member's dataLogDir when its log has a volume of its own (absent or empty; written in place, not renamed)")
	maxBuffer := fs.Int("jute.maxbuffer", 0xfffff, "ZooKeeper's jute.maxbuffer when it wrote SRC (longest znode data)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("import: SRC and DST expected, got %q", pos)
	}
	src, dst := pos[0], filepath.Clean(pos[1])
	start := time.Now()
	// A batch job whose heap is mostly the tree it builds: collect less often
	// (a third less time on 1M znodes).
	debug.SetGCPercent(400)
	if err := checkEmptyOrAbsent(dst); err != nil {
		return err
	}
	if *dstLogDir != "" {
		if err := checkEmptyOrAbsent(filepath.Clean(*dstLogDir)); err != nil {
			return err
		}
	}
	dir, cleanup, err := importSource(src)
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := zkimport.Load(dir, zkimport.Options{MaxBuffer: *maxBuffer + 1024, LogDir: *logDir})
	if err != nil {
		return fmt.Errorf("import %s: %w (nothing written)", src, err)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(os.Stderr, "zkensemble-server import: skipped a snapshot that does not verify (ZooKeeper would too): %s\n", s)
	}
	if res.TornLog != "" {
		fmt.Fprintf(os.Stderr, "zkensemble-server import: %s ends in a partly written record, ignored as ZooKeeper ignores it\n", res.TornLog)
	}
	loaded := time.Now()
	if err := writeAtomically(dst, func(tmp string) error {
		return seed.Write(tmp, res.Tree, uint64(res.Zxid), seed.Options{EnsembleID: *ensembleID, MemberID: *myid, LogDir: *dstLogDir})
	}); err != nil {
		return fmt.Errorf("import: writing %s: %w", dst, err)
	}
	fmt.Fprintf(stdout, "imported %d znodes at zxid %#x from %s and %d transactions (%d digests checked), "+
		"%d ephemerals dropped (%d sessions not carried over), in %v (read %v, write %v), into %s\n",
		res.Znodes, res.Zxid, res.Snapshot, res.Txns, res.DigestsChecked, res.Ephemerals, res.Sessions,
		time.Since(start).Round(time.Millisecond), loaded.Sub(start).Round(time.Millisecond),
		time.Since(loaded).Round(time.Millisecond), dst)
	return nil
}

// parseInterleaved parses flags given before, between or after the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func checkEmptyOrAbsent(dst string) error {
	entries, err := os.ReadDir(dst)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("import: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("import: %s is not empty", dst)
	}
	return nil
}

// writeAtomically runs write on a new directory beside dst and renames it to
// dst; on failure nothing is left.
func writeAtomically(dst string, write func(tmp string) error) error {
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".import-")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	return nil
}

// importSource returns the directory to load: src itself, or an archive's
// snapshot and log files extracted into a temporary directory.
func importSource(src string) (string, func(), error) {
	noop := func() {}
	if isObjectURL(src) {
		file, err := fetchArchive(context.Background(), src)
		if err != nil {
			return "", noop, err
		}
		dir, cleanup, err := importSource(file)
		if err != nil {
			_ = os.Remove(file)
			return "", noop, err
		}
		return dir, func() { cleanup(); _ = os.Remove(file) }, nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return "", noop, fmt.Errorf("import: %w", err)
	}
	if st.IsDir() {
		return src, noop, nil
	}
	gz := strings.HasSuffix(src, ".tar.gz") || strings.HasSuffix(src, ".tgz")
	if !gz && !strings.HasSuffix(src, ".tar") {
		return "", noop, fmt.Errorf("import: %s is neither a directory nor a .tar or .tar.gz archive", src)
	}
	tmp, err := os.MkdirTemp("", "zkimport-")
	if err != nil {
		return "", noop, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	if err := extractDataFiles(src, gz, tmp); err != nil {
		cleanup()
		return "", noop, fmt.Errorf("import: %s: %w", src, err)
	}
	return tmp, cleanup, nil
}

// extractDataFiles copies the archive's regular files named snapshot.* and
// log.* (at any depth) into dir, flat; everything else is skipped, so no
// entry name can write outside dir.
func extractDataFiles(src string, gz bool, dir string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		defer func() { _ = zr.Close() }()
		r = zr
	}
	tr := tar.NewReader(r)
	found := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Base(h.Name)
		dataFile := strings.HasPrefix(name, "snapshot.") || strings.HasPrefix(name, "log.")
		if h.Typeflag != tar.TypeReg || !dataFile {
			continue
		}
		if err := copyEntry(filepath.Join(dir, name), tr); err != nil {
			return err
		}
		found++
	}
	if found == 0 {
		return errors.New("no snapshot.* or log.* file in the archive")
	}
	return nil
}

func copyEntry(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
