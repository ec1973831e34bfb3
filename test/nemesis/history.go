package nemesis

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkensemble/zkensemble/test/nemesis/model"
)

// unknownReturn is the return time of an operation whose outcome is
// unknown: porcupine may place it anywhere after its call, or nowhere.
const unknownReturn = math.MaxInt64

// History records what the clients did and saw, and what the nemesis did.
type History struct {
	mu    sync.Mutex
	start time.Time
	reg   []porcupine.Operation
	seq   []porcupine.Operation
	// acked are the sequential names acknowledged under each parent, in
	// order; unknown counts the creates whose outcome is unknown.
	acked   map[string][]string
	unknown map[string]int
	log     []string
	faults  map[string]int
	// violations found while the run goes (sessions); the checks add theirs.
	violations []string
	ackedPuts  int
}

func newHistory() *History {
	return &History{start: time.Now(), acked: map[string][]string{}, unknown: map[string]int{}, faults: map[string]int{}}
}

// Logf adds a line to the run's log, stamped with the time since the start.
func (h *History) Logf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, fmt.Sprintf("%9.3fs ", time.Since(h.start).Seconds())+fmt.Sprintf(format, args...))
}

// Violation records a broken guarantee.
func (h *History) Violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.Logf("VIOLATION %s", msg)
	h.mu.Lock()
	h.violations = append(h.violations, msg)
	h.mu.Unlock()
}

func (h *History) fault(kind string) {
	h.mu.Lock()
	h.faults[kind]++
	h.mu.Unlock()
}

// put records a setData: ok false means its outcome is unknown.
func (h *History) put(client int, key, value string, call time.Time, ok bool) {
	ret := int64(unknownReturn)
	if ok {
		ret = time.Now().UnixNano()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reg = append(h.reg, porcupine.Operation{ClientId: client, Input: model.RegInput{Key: key, Put: true, Value: value},
		Output: model.RegOutput{}, Call: call.UnixNano(), Return: ret})
	if ok {
		h.ackedPuts++
	}
}

// get records a linearizable read (sync + getData) that returned value.
func (h *History) get(client int, key, value string, call time.Time) {
	ret := time.Now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reg = append(h.reg, porcupine.Operation{ClientId: client, Input: model.RegInput{Key: key},
		Output: model.RegOutput{Value: value}, Call: call.UnixNano(), Return: ret})
}

// create records a sequential create under parent that was given number n
// (name is the full path), or whose outcome is unknown (name "").
func (h *History) create(client int, parent, name string, n int64, call time.Time) {
	out, ret := model.SeqOutput{N: n}, time.Now().UnixNano()
	if name == "" {
		out, ret = model.SeqOutput{Unknown: true}, unknownReturn
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq = append(h.seq, porcupine.Operation{ClientId: client, Input: model.SeqInput{Parent: parent}, Output: out, Call: call.UnixNano(), Return: ret})
	if name == "" {
		h.unknown[parent]++
	} else {
		h.acked[parent] = append(h.acked[parent], name)
	}
}

// Report is a run's figures.
type Report struct {
	Seed          uint64
	Members       int
	Duration      time.Duration
	Operations    int
	AckedPuts     int
	AckedCreates  int
	UnknownOps    int
	SessionProbes int
	Faults        map[string]int
	Violations    []string
}

func (r Report) String() string {
	kinds := make([]string, 0, len(r.Faults))
	for k := range r.Faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	s := fmt.Sprintf("seed %d, %d members, %v: %d operations, %d acknowledged writes (%d setData, %d sequential creates), %d with unknown outcome, %d session probes; faults:",
		r.Seed, r.Members, r.Duration.Round(time.Second), r.Operations, r.AckedPuts+r.AckedCreates, r.AckedPuts, r.AckedCreates, r.UnknownOps, r.SessionProbes)
	for _, k := range kinds {
		s += fmt.Sprintf(" %s=%d", k, r.Faults[k])
	}
	return s + fmt.Sprintf("; %d violations", len(r.Violations))
}

func (h *History) report() Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := Report{Operations: len(h.reg) + len(h.seq), AckedPuts: h.ackedPuts, Faults: map[string]int{}, Violations: append([]string(nil), h.violations...)}
	for _, names := range h.acked {
		r.AckedCreates += len(names)
	}
	for _, op := range append(append([]porcupine.Operation(nil), h.reg...), h.seq...) {
		if op.Return == unknownReturn {
			r.UnknownOps++
		}
	}
	for k, v := range h.faults {
		r.Faults[k] = v
	}
	return r
}
