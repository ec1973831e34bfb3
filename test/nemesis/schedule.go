package nemesis

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Step is one fault held for a while, or a session probe.
type Step struct {
	Fault Fault
	Hold  time.Duration
	Probe *ProbeCut
}

func (s Step) String() string {
	if s.Probe != nil {
		return s.Probe.String()
	}
	return fmt.Sprintf("%s for %v", s.Fault, s.Hold)
}

// kinds are the steps a schedule draws from; every round has each once,
// in an order and with targets and durations drawn from the seed.
var kinds = []string{
	"partition-minority", "partition-leader", "partition-bridge", "loss", "delay",
	"pause-leader", "pause-member", "kill-leader", "kill-member",
	"client-cut-long", "client-cut-short",
}

// Schedule draws rounds of steps for an ensemble of n members from seed
// until their holds add up to at least d (one round when d is 0). The same
// seed and n give the same schedule.
func Schedule(seed uint64, n int, d time.Duration) []Step {
	rnd := rand.New(rand.NewPCG(seed, uint64(n)))
	var steps []Step
	var total time.Duration
	probes := 0
	for round := 0; round == 0 || total < d; round++ {
		for _, i := range rnd.Perm(len(kinds)) {
			s := step(rnd, kinds[i], n, &probes)
			steps = append(steps, s)
			total += s.Hold
			if s.Probe != nil {
				total += s.Probe.hold()
			}
		}
	}
	return steps
}

// between returns a duration in [lo, hi) in 100 ms steps.
func between(rnd *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rnd.Int64N(int64((hi-lo)/(100*time.Millisecond))))*100*time.Millisecond
}

func step(rnd *rand.Rand, kind string, n int, probes *int) Step {
	perm := rnd.Perm(n)
	switch kind {
	case "partition-minority":
		return Step{Fault: &Partition{Name: "minority", Sides: [][]int{perm[:(n-1)/2], perm[(n-1)/2:]}}, Hold: between(rnd, 3*time.Second, 8*time.Second)}
	case "partition-leader":
		return Step{Fault: &Partition{Name: "leader", Leader: true}, Hold: between(rnd, 3*time.Second, 8*time.Second)}
	case "partition-bridge":
		// perm[0] (and perm[1] with 5) cannot reach the last one (two): the
		// bridge in the middle sees both sides.
		half := (n - 1) / 2
		return Step{Fault: &Partition{Name: "bridge", Sides: [][]int{perm[:half], perm[n-half:]}}, Hold: between(rnd, 3*time.Second, 8*time.Second)}
	case "loss":
		p := []float64{0.05, 0.1, 0.2, 0.3}[rnd.IntN(4)]
		return Step{Fault: &Loss{Members: perm, P: p}, Hold: between(rnd, 4*time.Second, 8*time.Second)}
	case "delay":
		base := []time.Duration{20, 50, 100}[rnd.IntN(3)] * time.Millisecond
		return Step{Fault: &Delay{Members: perm, Base: base, Jitter: base, Seed: rnd.Uint64()}, Hold: between(rnd, 4*time.Second, 8*time.Second)}
	case "pause-leader":
		return Step{Fault: &Pause{Member: -1}, Hold: between(rnd, 2*time.Second, 5*time.Second)}
	case "pause-member":
		return Step{Fault: &Pause{Member: perm[0]}, Hold: between(rnd, 2*time.Second, 5*time.Second)}
	case "kill-leader":
		return Step{Fault: &Kill{Member: -1}, Hold: between(rnd, time.Second, 4*time.Second)}
	case "kill-member":
		return Step{Fault: &Kill{Member: perm[0]}, Hold: between(rnd, time.Second, 4*time.Second)}
	case "client-cut-long", "client-cut-short":
		*probes++
		return Step{Probe: &ProbeCut{Long: kind == "client-cut-long", Host: 1 + (*probes-1)%(hostAddrs-1)}}
	}
	panic("unknown step kind " + kind)
}
