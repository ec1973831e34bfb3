package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/backup"
)

// isObjectURL says whether import's SRC is an archive in object storage
// (s3://bucket/key?endpoint=..., or file:///dir/key) rather than a path.
func isObjectURL(src string) bool {
	return strings.HasPrefix(src, "s3://") || strings.HasPrefix(src, "file://")
}

// fetchArchive downloads the archive at the object URL src (credentials as
// for backups: the AWS environment variables) into a temporary file named
// with the object's suffix (.tar, .tar.gz or .tgz), which the caller removes.
func fetchArchive(ctx context.Context, src string) (string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return "", fmt.Errorf("import: %q: %w", src, err)
	}
	dir, key := path.Split(u.Path)
	suffix := ""
	for _, s := range []string{".tar.gz", ".tgz", ".tar"} {
		if strings.HasSuffix(key, s) {
			suffix = s
			break
		}
	}
	if key == "" || suffix == "" {
		return "", fmt.Errorf("import: %s does not name a .tar or .tar.gz archive of a ZooKeeper data directory", src)
	}
	u.Path, u.RawPath = strings.TrimSuffix(dir, "/"), ""
	store, err := backup.OpenStore(ctx, u.String())
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	defer func() { _ = store.Close() }()
	r, err := store.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	defer func() { _ = r.Close() }()
	f, err := os.CreateTemp("", "zkimport-*"+suffix)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("import: downloading %s: %w", src, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
