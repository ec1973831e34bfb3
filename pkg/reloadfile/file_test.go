package reloadfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileParsesAgainWhenItChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "value")
	parses := 0
	f := New(path, func(raw []byte) (string, error) {
		parses++
		s := strings.TrimSpace(string(raw))
		if s == "bad" {
			return "", errors.New("bad value")
		}
		return s, nil
	})
	// Written as a Secret volume or an editor does: a new file renamed into place.
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Get(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	steps := []struct {
		write   string
		want    string
		wantErr bool
		parses  int
	}{
		{write: "one\n", want: "one", parses: 1},
		{want: "one", parses: 1}, // unchanged: not parsed again
		{write: "bad", wantErr: true, parses: 2},
		{wantErr: true, parses: 2}, // a broken file is not parsed at every use
		{write: "two", want: "two", parses: 3},
	}
	for i, s := range steps {
		if s.write != "" {
			write(s.write)
		}
		got, err := f.Get()
		if (err != nil) != s.wantErr || got != s.want || parses != s.parses {
			t.Fatalf("step %d: %q %v after %d parses; want %q (error %v) after %d", i, got, err, parses, s.want, s.wantErr, s.parses)
		}
	}
}
