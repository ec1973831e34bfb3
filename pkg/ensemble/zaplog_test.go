package ensemble

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestZapLogger: etcd's warnings reach the member's log with their fields,
// its info lines do not, and a Panic's entry is logged before the panic.
func TestZapLogger(t *testing.T) {
	tests := []struct {
		name  string
		log   func(lg *zap.Logger)
		want  []string // in the log
		panic bool
	}{
		{"warn with fields", func(lg *zap.Logger) {
			lg.Warn("failed to read a snap file", zap.String("path", "/d/x.snap"), zap.Error(errors.New("input/output error")))
		}, []string{"level=WARN", `msg="etcd: failed to read a snap file"`, `error="input/output error"`, "path=/d/x.snap"}, false},
		{"error with a logger's fields", func(lg *zap.Logger) {
			lg.With(zap.Uint64("index", 7)).Error("bad")
		}, []string{"level=ERROR", `msg="etcd: bad"`, "index=7"}, false},
		{"info dropped", func(lg *zap.Logger) { lg.Info("closing WAL") }, nil, false},
		{"panic logged first", func(lg *zap.Logger) {
			lg.Panic("failed to close WAL during cleanup", zap.Error(errors.New("no space left on device")))
		}, []string{"level=ERROR", "failed to close WAL during cleanup", `error="no space left on device"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			lg := zapLogger(slog.New(slog.NewTextHandler(&buf, nil)))
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				tt.log(lg)
				return false
			}()
			if panicked != tt.panic {
				t.Fatalf("panicked %v, want %v", panicked, tt.panic)
			}
			out := buf.String()
			if tt.want == nil && out != "" {
				t.Fatalf("logged %q, want nothing", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log %q lacks %q", out, w)
				}
			}
		})
	}
}
