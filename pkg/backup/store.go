package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
)

// Store is where backups are kept: a bucket (and prefix) of an object store,
// or a directory.
type Store struct {
	bucket *blob.Bucket
	// base is the destination URL as given, for locations.
	base *url.URL
}

// OpenStore opens a destination URL:
//
//	s3://bucket[/prefix]?endpoint=http://host:8333&region=us-east-1&use_path_style=true
//	file:///path/to/dir
//
// s3:// takes gocloud.dev's parameters (gocloud.dev/aws.V2ConfigFromURLParams
// and s3blob's) and the AWS SDK's credentials (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and its files, roles). A file://
// directory is created when missing.
func OpenStore(ctx context.Context, dest string) (*Store, error) {
	u, err := url.Parse(dest)
	if err != nil {
		return nil, fmt.Errorf("backup destination %q: %w", dest, err)
	}
	var b *blob.Bucket
	switch u.Scheme {
	case s3blob.Scheme:
		if u.Host == "" {
			return nil, fmt.Errorf("backup destination %q names no bucket (s3://bucket/prefix?...)", dest)
		}
		bu := *u
		bu.Path, bu.RawPath = "", ""
		b, err = blob.OpenBucket(ctx, bu.String())
		if err == nil {
			if prefix := strings.Trim(u.Path, "/"); prefix != "" {
				b = blob.PrefixedBucket(b, prefix+"/")
			}
		}
	case fileblob.Scheme:
		if u.Path == "" || u.Path == "/" {
			return nil, fmt.Errorf("backup destination %q names no directory (file:///path)", dest)
		}
		bu := *u
		q := bu.Query()
		q.Set("create_dir", "true")
		q.Set("no_tmp_dir", "true") // temporary files next to the backups: same volume
		q.Set("metadata", "skip")
		bu.RawQuery = q.Encode()
		b, err = blob.OpenBucket(ctx, bu.String())
	default:
		return nil, fmt.Errorf("backup destination %q: the scheme must be s3:// or file://", dest)
	}
	if err != nil {
		return nil, fmt.Errorf("backup destination %q: %w", dest, err)
	}
	return &Store{bucket: b, base: u}, nil
}

// SplitLocation splits a backup's location (a destination URL whose last
// path element is the backup's name) into the destination and the name.
func SplitLocation(location string) (dest, name string, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", "", fmt.Errorf("backup location %q: %w", location, err)
	}
	dir, name := path.Split(u.Path)
	if _, ok := ParseName(name); !ok {
		return "", "", fmt.Errorf("backup location %q does not end in a backup's name (<ensemble>-<time>-<zxid>)", location)
	}
	u.Path, u.RawPath = strings.TrimSuffix(dir, "/"), ""
	return u.String(), name, nil
}

// Location is the URL of the backup name in this store (what restore takes).
func (s *Store) Location(name string) string {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + name
	u.RawPath = ""
	return u.String()
}

// Close releases the store.
func (s *Store) Close() error { return s.bucket.Close() }

// Put uploads the archive read from r under name, streaming (the object
// store's multipart upload for large ones). When r fails, or ctx ends, the
// upload is abandoned and no object is left. It returns the bytes written.
func (s *Store) Put(ctx context.Context, name string, r io.Reader) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(ctx, name, &blob.WriterOptions{ContentType: "application/x-tar"})
	if err != nil {
		return 0, explain("writing "+name, err)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		cancel() // abandons the upload
		_ = w.Close()
		return n, explain("writing "+name, err)
	}
	if err := w.Close(); err != nil {
		return n, explain("writing "+name, err)
	}
	return n, nil
}

// Get opens the backup name for reading.
func (s *Store) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, name, nil)
	if err != nil {
		return nil, explain("reading "+name, err)
	}
	return r, nil
}

// Delete removes the backup name.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.bucket.Delete(ctx, name); err != nil {
		return explain("deleting "+name, err)
	}
	return nil
}

// List returns the backups in the store, oldest first; ensemble, when not
// empty, keeps those of that ensemble only. Other objects are passed over.
func (s *Store) List(ctx context.Context, ensemble string) ([]Info, error) {
	var out []Info
	it := s.bucket.List(&blob.ListOptions{Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, explain("listing the backups", err)
		}
		if obj.IsDir {
			continue
		}
		info, ok := ParseName(obj.Key)
		if !ok || (ensemble != "" && info.Ensemble != ensemble) {
			continue
		}
		info.Size = obj.Size
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Zxid < out[j].Zxid
	})
	return out, nil
}
