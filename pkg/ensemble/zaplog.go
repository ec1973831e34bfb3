package ensemble

import (
	"context"
	"log/slog"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// etcd's WAL and snapshotter log through zap. zapLogger sends their warnings
// and errors to the member's slog logger with their fields; a zap Fatal or
// Panic (which ends the process or panics once the entry is written) thus
// leaves its reason in the log. With a no-op logger a Fatal exited with
// status 1 without a word, and a Panic lost the error it carried.
func zapLogger(l *slog.Logger) *zap.Logger { return zap.New(slogCore{l: l}) }

// slogCore is a zapcore.Core writing to slog, from zap's Warn level up
// (etcd's Info lines say what the member's own log says already).
type slogCore struct{ l *slog.Logger }

func (c slogCore) Enabled(lvl zapcore.Level) bool { return lvl >= zapcore.WarnLevel }

func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{l: c.l.With(zapAttrs(fields)...)}
}

func (c slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	level := slog.LevelWarn
	if e.Level >= zapcore.ErrorLevel {
		level = slog.LevelError
	}
	c.l.Log(context.Background(), level, "etcd: "+e.Message, zapAttrs(fields)...)
	return nil
}

func (c slogCore) Sync() error { return nil }

// zapAttrs turns zap fields into slog key-value pairs, in key order.
func zapAttrs(fields []zapcore.Field) []any {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, enc.Fields[k])
	}
	return out
}
