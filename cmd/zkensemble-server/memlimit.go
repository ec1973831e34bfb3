package main

import (
	"log/slog"
	"math"
	"os"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memLimitRatio is the share of the container's memory limit given to the Go
// heap: the rest covers what the runtime does not count (stacks of idle
// goroutines are counted, but not cgo, the kernel's socket buffers or the
// page cache of the WAL charged to the cgroup).
const memLimitRatio = 0.9

// setMemoryLimit sets the Go runtime's soft memory limit to memLimitRatio of
// the container's (cgroup v2 memory.max, v1 memory.limit_in_bytes, the
// lowest along the hierarchy; provider reads them), so that the collector
// works harder as the heap nears the limit instead of the kernel killing the
// process. GOMEMLIMIT in the environment wins; without a limit nothing
// changes. It returns the limit in force (math.MaxInt64: none).
func setMemoryLimit(logger *slog.Logger, provider memlimit.Provider) int64 {
	limit, err := memlimit.Set(memlimit.WithRatio(memLimitRatio), memlimit.WithProvider(provider))
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		logger.Info("Go memory limit from GOMEMLIMIT", "bytes", limit, "GOMEMLIMIT", os.Getenv("GOMEMLIMIT"))
	case err != nil:
		logger.Warn("Go memory limit left as it was: cannot read the container's memory limit", "err", err)
	case limit == math.MaxInt64:
		logger.Info("Go memory limit: none (no container memory limit, GOMEMLIMIT unset)")
	default:
		logger.Info("Go memory limit set", "bytes", limit, "MiB", limit>>20)
	}
	return limit
}
