package reloadfile

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// File is a value parsed from a file, parsed again when the file changes.
// A parse error is kept too (until the file changes), so a broken file is
// not parsed again at every use.
type File[T any] struct {
	path  string
	parse func(raw []byte) (T, error)

	mu     sync.Mutex
	stamp  stamp
	loaded bool
	val    T
	err    error
}

// stamp is what tells a changed file.
type stamp struct {
	ino  uint64
	size int64
	mod  time.Time
}

// New returns the value of path as parse makes it.
func New[T any](path string, parse func(raw []byte) (T, error)) *File[T] {
	return &File[T]{path: path, parse: parse}
}

// Path is the file's path.
func (f *File[T]) Path() string { return f.path }

// Get returns the value for the file as it is now. A file that cannot be
// read is an error (and is tried again at the next call).
func (f *File[T]) Get() (T, error) {
	var zero T
	st, err := os.Stat(f.path)
	if err != nil {
		return zero, err
	}
	s := stamp{size: st.Size(), mod: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		s.ino = sys.Ino
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loaded && s == f.stamp {
		return f.val, f.err
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return zero, err
	}
	f.val, f.err = f.parse(raw)
	f.stamp, f.loaded = s, true
	return f.val, f.err
}
