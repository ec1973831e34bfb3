package sessionserver

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// opMetrics are one opcode's children of the per-op metrics, looked up once
// (WithLabelValues hashes the label on every call).
type opMetrics struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// opCache holds the opMetrics of opcodes -128..127 (every client opcode);
// a child is created on first use, so /metrics lists only the ops seen.
type opCache [256]atomic.Pointer[opMetrics]

// forOp returns op's metrics.
func (m *metrics) forOp(op int32) *opMetrics {
	if op < -128 || op > 127 {
		return m.newOpMetrics(op)
	}
	slot := &m.ops[op+128]
	if om := slot.Load(); om != nil {
		return om
	}
	om := m.newOpMetrics(op)
	slot.Store(om) // a racing store holds the same children
	return om
}

func (m *metrics) newOpMetrics(op int32) *opMetrics {
	name := wire.OpLongName(op)
	return &opMetrics{requests: m.requests.WithLabelValues(name), latency: m.latency.WithLabelValues(name)}
}
