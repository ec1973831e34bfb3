package compat

import (
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// BenchmarkFailover kills the leader of a 3-member ensemble, ZooKeeper 3.8's
// and ours, five times each, and reports how long until both followers serve
// again (srvr says Mode, polled every 20 ms) and until the one left alone of
// two killed members stops serving.
// Run: go test -run '^$' -bench Failover -benchtime 1x ./test/compat/
func BenchmarkFailover(b *testing.B) {
	if err := refzk.Available(); err != nil {
		b.Skip(err)
	}
	for _, kind := range []string{"zookeeper", "zkensemble"} {
		b.Run(kind, func(b *testing.B) {
			o := refzk.Options{TickTime: 2000}
			var ens *refzk.Ensemble
			if kind == "zookeeper" {
				ens = refzk.StartEnsemble(b, 3, o)
			} else {
				ens = refzk.StartOursEnsemble(b, refzk.BuildOurs(b), 3, o)
			}
			k := &ensembleKind{name: kind, ens: ens}
			var total time.Duration
			const rounds = 5
			for range rounds {
				leader, fs := roles(b, k)
				start := time.Now()
				leader.Kill()
				for serving(fs) < len(fs) {
					time.Sleep(20 * time.Millisecond) // the measurement's resolution
				}
				d := time.Since(start)
				total += d
				b.Logf("%s: both followers serve %v after the leader was killed", kind, d.Round(10*time.Millisecond))
				leader.StartAgain()
				roles(b, k)
			}
			b.ReportMetric(float64(total.Milliseconds())/rounds, "ms/failover")
		})
	}
}

// serving counts the members whose srvr says Mode.
func serving(ss []*refzk.Server) int {
	n := 0
	for _, s := range ss {
		if strings.Contains(fourLetter(s, "srvr"), "Mode: ") {
			n++
		}
	}
	return n
}
