package nemesis

import (
	"fmt"
	"path"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkensemble/zkensemble/test/nemesis/model"
)

// checkTimeout bounds each porcupine check; a check that does not finish is
// reported as a failure (the history could not be shown linearizable).
const checkTimeout = 5 * time.Minute

// checked is a model's verdict with what porcupine needs to draw it.
type checked struct {
	name  string
	model porcupine.Model
	info  porcupine.LinearizationInfo
}

// check runs every check on the history; final holds each sequential
// parent's children as read at the end. It returns porcupine's results for
// the visualization.
func (h *History) check(final map[string][]string) []checked {
	h.mu.Lock()
	reg, seq := append([]porcupine.Operation(nil), h.reg...), append([]porcupine.Operation(nil), h.seq...)
	acked, unknown := h.acked, h.unknown
	h.mu.Unlock()

	var out []checked
	for _, c := range []struct {
		name string
		m    porcupine.Model
		ops  []porcupine.Operation
	}{{"register", model.Register, reg}, {"sequential", model.SeqCreate, seq}} {
		start := time.Now()
		res, info := porcupine.CheckOperationsVerbose(c.m, c.ops, checkTimeout)
		h.Logf("%s history: %d operations checked in %v: %s", c.name, len(c.ops), time.Since(start).Round(time.Millisecond), res)
		switch res {
		case porcupine.Illegal:
			h.Violation("the %s history is not linearizable", c.name)
		case porcupine.Unknown:
			h.Violation("the %s history could not be checked within %v", c.name, checkTimeout)
		}
		out = append(out, checked{c.name, c.m, info})
	}
	h.checkSequential(acked, unknown, final)
	return out
}

// checkSequential: no sequential name given twice, every acknowledged
// create still there at the end, nothing there that no create may have made.
func (h *History) checkSequential(acked map[string][]string, unknown map[string]int, final map[string][]string) {
	for parent, names := range acked {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				h.Violation("sequential name %s was given twice", n)
			}
			seen[n] = true
		}
		present := map[string]bool{}
		for _, c := range final[parent] {
			present[path.Join(parent, c)] = true
		}
		for n := range seen {
			if !present[n] {
				h.Violation("acknowledged create %s is lost", n)
			}
		}
		if got, most := len(final[parent]), len(seen)+unknown[parent]; got > most {
			h.Violation("%s has %d children; the clients made at most %d", parent, got, most)
		}
	}
}

// visualize writes porcupine's HTML for each check into dir.
func visualize(dir string, results []checked) []error {
	var errs []error
	for _, r := range results {
		if err := porcupine.VisualizePath(r.model, r.info, fmt.Sprintf("%s/%s.html", dir, r.name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
