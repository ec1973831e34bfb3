package faultfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mountView mounts a view of a new directory; the test needs root and
// /dev/fuse and says so when they are missing.
func mountView(t *testing.T) (v *View, backing, mnt string) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("needs root and /dev/fuse: %v", err)
	}
	backing, mnt = t.TempDir(), t.TempDir()
	v, err := Mount(backing, mnt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := v.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return v, backing, mnt
}

// TestFaultReachesTheSyscall: each fault makes the system call a program
// makes fail with the fault's errno, leaves the backing file as it was, and
// after Heal the same call on the same open file succeeds.
func TestFaultReachesTheSyscall(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		call  func(f *os.File) error
	}{
		{"fsync EIO", Fault{Op: Fsync, Errno: syscall.EIO}, func(f *os.File) error { return f.Sync() }},
		{"fdatasync EIO", Fault{Op: Fsync, Errno: syscall.EIO}, func(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }},
		{"write EIO", Fault{Op: Write, Errno: syscall.EIO}, func(f *os.File) error { _, err := f.WriteAt([]byte("new"), 0); return err }},
		{"write ENOSPC", Fault{Op: Write, Errno: syscall.ENOSPC}, func(f *os.File) error { _, err := f.WriteAt([]byte("new"), 0); return err }},
		{"fallocate ENOSPC", Fault{Op: Write, Errno: syscall.ENOSPC}, func(f *os.File) error {
			return syscall.Fallocate(int(f.Fd()), 0, 0, 1<<20)
		}},
		{"read EIO", Fault{Op: Read, Errno: syscall.EIO}, func(f *os.File) error {
			b := make([]byte, 3)
			_, err := f.ReadAt(b, 0)
			if err == nil && string(b) != "old" {
				return errors.New("read " + string(b))
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, backing, mnt := mountView(t)
			if err := os.WriteFile(filepath.Join(mnt, "f"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(mnt, "f"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
			v.Inject(tt.fault)
			if err := tt.call(f); !errors.Is(err, tt.fault.Errno) {
				t.Fatalf("with the fault on: %v, want %v", err, tt.fault.Errno)
			}
			if v.Hits(tt.fault.Op) == 0 {
				t.Fatalf("no %s hit counted", tt.fault.Op)
			}
			if b, _ := os.ReadFile(filepath.Join(backing, "f")); string(b) != "old" {
				t.Fatalf("backing file %q after the failed call, want \"old\"", b)
			}
			v.Heal()
			if err := tt.call(f); err != nil {
				t.Fatalf("healed: %v", err)
			}
		})
	}
}

// TestFaultPath: a fault with a path pattern fails only the files it
// matches, relative to the view's root, renamed ones by their new name.
func TestFaultPath(t *testing.T) {
	v, _, mnt := mountView(t)
	if err := os.MkdirAll(filepath.Join(mnt, "version-2", "wal"), 0o755); err != nil {
		t.Fatal(err)
	}
	v.Inject(Fault{Op: Write, Errno: syscall.EIO, Path: "version-2/wal/*.wal"})
	write := func(rel string) error {
		return os.WriteFile(filepath.Join(mnt, rel), []byte("data"), 0o644)
	}
	for rel, fails := range map[string]bool{
		"version-2/wal/0.wal": true, // refused at creation
		"version-2/wal/0.tmp": false,
		"0.wal":               false,
		"version-2/snap.wal":  false,
	} {
		if err := write(rel); (err != nil) != fails {
			t.Errorf("%s: %v, want failure %v", rel, err, fails)
		}
	}
	// A file created under another name, then renamed into the pattern.
	f, err := os.OpenFile(filepath.Join(mnt, "version-2/wal/0.tmp"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if err := os.Rename(filepath.Join(mnt, "version-2/wal/0.tmp"), filepath.Join(mnt, "version-2/wal/1.wal")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("more")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("write to the renamed file: %v, want EIO", err)
	}
}

// TestViewPassesThrough: without faults the view reads and writes the
// backing directory (what was written through it is there after unmount).
func TestViewPassesThrough(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("needs root and /dev/fuse: %v", err)
	}
	backing, mnt := t.TempDir(), t.TempDir()
	v, err := Mount(backing, mnt)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 100000)
	if err := os.WriteFile(filepath.Join(mnt, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "big")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("read back through the view: %d bytes, %v", len(b), err)
	}
	if err := v.Unmount(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(backing, "big")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("backing file: %d bytes, %v", len(b), err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "big")); !os.IsNotExist(err) {
		t.Fatalf("after unmount the mountpoint still shows the file: %v", err)
	}
}
