package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 is an in-process S3 (gofakes3) with bucket "backups"; it returns
// the destination URL of prefix in it.
func fakeS3(t *testing.T, prefix string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("backups"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return "s3://backups/" + prefix + "?endpoint=" + srv.URL + "&region=us-east-1&use_path_style=true"
}

func stores(t *testing.T) map[string]string {
	return map[string]string{
		"fileblob": "file://" + filepath.Join(t.TempDir(), "backups"),
		"s3":       fakeS3(t, "team/zk"),
	}
}

func TestStore(t *testing.T) {
	for kind, dest := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s, err := OpenStore(ctx, dest)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
			archive, m := testArchive(t, bytes.Repeat([]byte("z"), 3<<20))
			var names []string
			for i := range 4 {
				name := Name("ens-1", at.Add(time.Duration(i)*time.Hour), m.Zxid+Zxid(i))
				if n, err := s.Put(ctx, name, bytes.NewReader(archive)); err != nil || n != int64(len(archive)) {
					t.Fatalf("put %s: %d %v", name, n, err)
				}
				names = append(names, name)
			}
			// Not backups of ens-1: another ensemble's, and an unrelated object.
			other := Name("ens-10", at, 1)
			for _, n := range []string{other, "README"} {
				if _, err := s.Put(ctx, n, strings.NewReader("keep me")); err != nil {
					t.Fatal(err)
				}
			}
			list, err := s.List(ctx, "ens-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 4 || list[0].Name != names[0] || list[3].Name != names[3] || list[2].Size != int64(len(archive)) {
				t.Fatalf("list: %+v", list)
			}
			r, err := s.Get(ctx, names[2])
			if err != nil {
				t.Fatal(err)
			}
			got, err := Verify(r, io.Discard)
			_ = r.Close()
			if err != nil || got != m {
				t.Fatalf("read back: %+v %v", got, err)
			}
			// The location restore takes names the same object.
			dest2, name, err := SplitLocation(s.Location(names[1]))
			if err != nil || name != names[1] {
				t.Fatalf("location %s: %s %s %v", s.Location(names[1]), dest2, name, err)
			}
			s2, err := OpenStore(ctx, dest2)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s2.Close() })
			if r, err := s2.Get(ctx, name); err != nil {
				t.Fatalf("get through the location: %v", err)
			} else {
				_ = r.Close()
			}
			pruned, err := s.Prune(ctx, "ens-1", Retention{KeepLast: 2}, at.Add(10*time.Hour))
			if err != nil || !slices.Equal(pruned, names[:2]) {
				t.Fatalf("pruned %v %v, want %v", pruned, err, names[:2])
			}
			list, _ = s.List(ctx, "")
			var left []string
			for _, b := range list {
				left = append(left, b.Name)
			}
			if want := []string{other, names[2], names[3]}; !slices.Equal(left, want) {
				t.Fatalf("left %v, want %v", left, want)
			}
			if r, err := s.Get(ctx, "README"); err != nil {
				t.Fatalf("README was touched: %v", err)
			} else {
				_ = r.Close()
			}
			if err := s.Delete(ctx, names[3]); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, names[3]); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("get after delete: %v", err)
			}
		})
	}
}

// A failing source leaves no object behind.
func TestStorePutAbandons(t *testing.T) {
	for kind, dest := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s, err := OpenStore(ctx, dest)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			name := Name("ens-1", time.Now(), 5)
			boom := errors.New("the member went away")
			r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("z"), 6<<20)), iotestErr{boom})
			if _, err := s.Put(ctx, name, r); !errors.Is(err, boom) {
				t.Fatalf("put: %v", err)
			}
			if list, err := s.List(ctx, ""); err != nil || len(list) != 0 {
				t.Fatalf("left behind: %+v %v", list, err)
			}
		})
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	dest := fakeS3(t, "")
	missing := strings.Replace(dest, "s3://backups/", "s3://no-such-bucket/", 1)
	s, err := OpenStore(ctx, missing)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Put(ctx, Name("e", time.Now(), 1), strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "the bucket does not exist") {
		t.Fatalf("put to a missing bucket: %v", err)
	}
	for _, bad := range []string{"http://x/y", "s3:///prefix", "file://", "::"} {
		if _, err := OpenStore(ctx, bad); err == nil {
			t.Errorf("%q opened", bad)
		}
	}
	if _, _, err := SplitLocation("file:///backups/README"); err == nil {
		t.Errorf("a location that names no backup was taken")
	}
}
