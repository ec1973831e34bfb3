package sessions

// Bounds are the negotiable session timeouts in milliseconds.
type Bounds struct {
	Min, Max int32
}

// DefaultBounds are ZooKeeper's defaults: 2 and 20 ticks.
func DefaultBounds(tickMillis int32) Bounds { return Bounds{Min: 2 * tickMillis, Max: 20 * tickMillis} }

// Clamp negotiates a requested timeout into the bounds.
func (b Bounds) Clamp(requested int32) int32 { return max(b.Min, min(b.Max, requested)) }
