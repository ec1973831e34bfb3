package sessionserver

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

func monotonicNow() int64 { return sessions.MonotonicMillis() }

func opShortName(op int32) string { return wire.OpName(op) }

func dirSize(dir string) int64 {
	if dir == "" {
		return 0
	}
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

func maxFDs() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return r.Cur
}

func memFree() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return (m.HeapIdle) >> 20
}
