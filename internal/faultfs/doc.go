// Package faultfs mounts a pass-through view of a directory (FUSE, through
// go-fuse's loopback node) whose file operations can be made to fail: fsync
// and fdatasync, write (and fallocate, and creating files), or read, with
// an errno such as EIO or ENOSPC, on every file or on the files whose path
// matches a pattern. Faults are switched on and off while the view is
// mounted, so a process using it meets a failing disk and, after Heal, a
// repaired one, with everything it wrote before the fault still there.
//
//	v, err := faultfs.Mount(backing, mountpoint)
//	v.Inject(faultfs.Fault{Op: faultfs.Fsync, Errno: syscall.EIO, Path: "version-2/wal/*.wal"})
//	... // the process's fdatasync on its WAL fails with EIO
//	v.Heal()
//	err = v.Unmount()
//
// Files are opened with direct I/O and without FUSE passthrough, so every
// read and write of a file reaches the view (none is served from the page
// cache or by the kernel alone) and a fault meets the system call that
// caused it. Directories are passed through without faults.
//
// Mounting needs root (or CAP_SYS_ADMIN) and /dev/fuse; Available says
// whether they are there.
package faultfs
