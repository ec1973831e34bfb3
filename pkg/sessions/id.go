package sessions

import (
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// bootOffset approximates ZooKeeper's Time.currentElapsedTime() (System.nanoTime,
// uptime on Linux) so session ids have the same layout as ZooKeeper's.
var (
	processStart = time.Now()
	bootOffset   = readUptime()
)

func readUptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	s, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// MonotonicMillis is a monotonic millisecond clock (uptime-based).
func MonotonicMillis() int64 {
	return (bootOffset + time.Since(processStart)).Milliseconds()
}

// InitialID computes the first session id of a server, as
// SessionTrackerImpl.initializeNextSessionId: (ms << 24) >>> 8 | serverID << 56.
// The unsigned shift keeps the id non-negative (ZOOKEEPER-1622).
func InitialID(serverID uint8, nowMillis int64) int64 {
	id := int64(uint64(nowMillis<<24) >> 8)
	id |= int64(serverID) << 56
	if id == math.MinInt64 {
		id++
	}
	return id
}

// IDGenerator hands out session ids starting from InitialID.
type IDGenerator struct{ next atomic.Int64 }

// NewIDGenerator starts a generator for serverID at the current monotonic time.
func NewIDGenerator(serverID uint8) *IDGenerator {
	g := &IDGenerator{}
	g.next.Store(InitialID(serverID, MonotonicMillis()))
	return g
}

// Next returns a new session id.
func (g *IDGenerator) Next() int64 { return g.next.Add(1) - 1 }

// ServerOf returns the server id embedded in a session id.
func ServerOf(sid int64) uint8 { return uint8(uint64(sid) >> 56) }
