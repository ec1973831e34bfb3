package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFetchArchive: an archive in object storage is downloaded under its
// suffix; a key that is no archive, or is missing, is refused with a clear
// error and leaves no temporary file.
func TestFetchArchive(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zk.tgz"), []byte("archive bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", t.TempDir())
	got, err := fetchArchive(context.Background(), "file://"+dir+"/zk.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(got); err != nil || string(b) != "archive bytes" || !strings.HasSuffix(got, ".tgz") {
		t.Fatalf("fetched %s: %q %v", got, b, err)
	}
	for _, tc := range []struct{ src, want string }{
		{"file://" + dir + "/notes.txt", "does not name a .tar or .tar.gz archive"},
		{"file://" + dir + "/", "does not name a .tar or .tar.gz archive"},
		{"file://" + dir + "/missing.tar.gz", "missing.tar.gz"},
	} {
		before, _ := os.ReadDir(os.Getenv("TMPDIR"))
		if _, err := fetchArchive(context.Background(), tc.src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.src, err, tc.want)
		}
		if after, _ := os.ReadDir(os.Getenv("TMPDIR")); len(after) != len(before) {
			t.Errorf("%s: a temporary file was left behind", tc.src)
		}
	}
}
