package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestSetMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name       string
		env        string // GOMEMLIMIT
		provider   memlimit.Provider
		want       int64 // the limit in force afterwards
		wantReturn int64
	}{
		{"container limit of 1 GiB", "", memlimit.Limit(gib), gib * 9 / 10, gib * 9 / 10},
		{"no container limit", "", func() (uint64, error) { return 0, memlimit.ErrNoLimit }, math.MaxInt64, math.MaxInt64},
		{"unreadable limit keeps the previous one", "", func() (uint64, error) { return 0, errors.New("no cgroup") }, 3 * gib, 3 * gib},
		{"GOMEMLIMIT set wins", "2GiB", memlimit.Limit(gib), 3 * gib, 3 * gib},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prev := debug.SetMemoryLimit(3 * gib) // stands for the runtime's setting before (from GOMEMLIMIT when it is set)
			t.Cleanup(func() { debug.SetMemoryLimit(prev) })
			t.Setenv("GOMEMLIMIT", tc.env)
			got := setMemoryLimit(slog.New(slog.NewTextHandler(io.Discard, nil)), tc.provider)
			if got != tc.wantReturn {
				t.Errorf("setMemoryLimit = %d, want %d", got, tc.wantReturn)
			}
			if now := debug.SetMemoryLimit(-1); now != tc.want {
				t.Errorf("memory limit in force = %d, want %d", now, tc.want)
			}
		})
	}
}
