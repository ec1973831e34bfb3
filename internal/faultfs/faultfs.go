package faultfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Op is a kind of file operation a fault applies to.
type Op int

const (
	// Fsync is fsync(2) and fdatasync(2) of a file.
	Fsync Op = iota
	// Write is write(2) and fallocate(2) of a file, and creating one.
	Write
	// Read is read(2) of a file.
	Read
	numOps
)

func (o Op) String() string {
	switch o {
	case Fsync:
		return "fsync"
	case Write:
		return "write"
	case Read:
		return "read"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Fault makes an operation fail.
type Fault struct {
	Op Op
	// Errno is what the failing call returns (syscall.EIO, syscall.ENOSPC).
	Errno syscall.Errno
	// Path is a filepath.Match pattern for the file's path relative to the
	// view's root (e.g. "version-2/wal/*.wal"); empty matches every file.
	Path string
}

// View is a mounted faulty view of a directory.
type View struct {
	backing, mountpoint string
	server              *fuse.Server

	mu     sync.RWMutex
	faults []Fault
	hits   [numOps]atomic.Uint64
}

// Available reports why a view cannot be mounted here (not root, or no
// /dev/fuse), or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("faultfs: mounting a FUSE view needs root")
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("faultfs: no usable FUSE device: %w", err)
	}
	return f.Close()
}

// Mount mounts a view of the directory backing at mountpoint (an existing
// empty directory), with no fault switched on.
func Mount(backing, mountpoint string) (*View, error) {
	backing, err := filepath.Abs(backing)
	if err != nil {
		return nil, err
	}
	v := &View{backing: backing, mountpoint: mountpoint}
	rootOps, err := fs.NewLoopbackRoot(backing)
	if err != nil {
		return nil, fmt.Errorf("faultfs: %w", err)
	}
	lb := rootOps.(*fs.LoopbackNode)
	root := &node{LoopbackNode: lb, view: v}
	lb.RootData.RootNode = root
	server, err := fs.Mount(mountpoint, root, &fs.Options{
		MountOptions: fuse.MountOptions{FsName: backing, Name: "faultfs", DirectMount: true},
	})
	if err != nil {
		return nil, fmt.Errorf("faultfs: mounting %s at %s: %w", backing, mountpoint, err)
	}
	v.server = server
	return v, nil
}

// Inject switches a fault on (in addition to those already on).
func (v *View) Inject(f Fault) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.faults = append(v.faults, f)
}

// Heal switches every fault off.
func (v *View) Heal() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.faults = nil
}

// Hits is how many calls of op failed because of a fault.
func (v *View) Hits(op Op) uint64 { return v.hits[op].Load() }

// Unmount unmounts the view. A view still in use (a process holds files
// open in it) is detached lazily: it disappears from the mount table at
// once and goes when its last file is closed.
func (v *View) Unmount() error {
	if err := v.server.Unmount(); err != nil {
		if derr := syscall.Unmount(v.mountpoint, syscall.MNT_DETACH); derr != nil {
			return fmt.Errorf("faultfs: unmounting %s: %w (detaching: %w)", v.mountpoint, err, derr)
		}
	}
	v.server.Wait()
	return nil
}

// check returns the errno of the first fault on op that matches rel (the
// file's path relative to the root), counting the hit, or 0.
func (v *View) check(op Op, rel string) syscall.Errno {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, f := range v.faults {
		if f.Op != op {
			continue
		}
		if f.Path != "" {
			if ok, _ := filepath.Match(f.Path, rel); !ok {
				continue
			}
		}
		v.hits[op].Add(1)
		return f.Errno
	}
	return 0
}
