package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
)

// Which way a metric is better (empty: neither, e.g. a count).
const (
	higher = "higher"
	lower  = "lower"
)

// Metric is one measured figure.
type Metric struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Better string  `json:"better,omitempty"`
}

// Result is what one phase measured on one system in one deployment.
type Result struct {
	Phase      string   `json:"phase"`
	Title      string   `json:"title"`
	Deployment string   `json:"deployment"`
	System     string   `json:"system"`
	Metrics    []Metric `json:"metrics,omitempty"`
	Error      string   `json:"error,omitempty"`
}

func (r Result) metric(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// Check is one of the targets, evaluated on this run.
type Check struct {
	Target string `json:"target"`
	Detail string `json:"detail"`
	Status string `json:"status"` // met, missed, not measured
}

// Report is the whole run.
type Report struct {
	Started  string            `json:"started"`
	Mode     string            `json:"mode"`
	Clients  int               `json:"clients"`
	Machine  map[string]string `json:"machine"`
	Setup    []string          `json:"setup"`
	Results  []Result          `json:"results"`
	Checks   []Check           `json:"checks"`
	Duration string            `json:"duration"`
}

func (rep *Report) find(phase, deployment, system string) (Result, bool) {
	for _, r := range rep.Results {
		if r.Phase == phase && r.Deployment == deployment && r.System == system {
			return r, true
		}
	}
	return Result{}, false
}

// phaseOrder lists phases and deployments in order of first appearance.
func (rep *Report) phaseOrder() (phases []string, deps map[string][]string, titles map[string]string) {
	deps, titles = map[string][]string{}, map[string]string{}
	for _, r := range rep.Results {
		if _, ok := titles[r.Phase]; !ok {
			phases = append(phases, r.Phase)
			titles[r.Phase] = r.Title
		}
		seen := false
		for _, d := range deps[r.Phase] {
			seen = seen || d == r.Deployment
		}
		if !seen {
			deps[r.Phase] = append(deps[r.Phase], r.Deployment)
		}
	}
	return phases, deps, titles
}

// fmtNum prints a figure with as many digits as its size deserves.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case v == 0:
		return "0"
	case a >= 1000 || (v == math.Trunc(v) && a < 1e15):
		return commas(int64(math.Round(v)))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ratio is ours/ZooKeeper, "—" when either side is missing or ZooKeeper's is 0.
func ratio(ours, zk float64, okO, okZ bool) string {
	if !okO || !okZ || zk == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", ours/zk)
}

// cell is a metric's table cell, its value, and whether it may enter a
// ratio. A failed result shows "failed", or, when it measured figures (an
// open-loop row whose generator fell behind), each figure marked failed and
// kept out of the ratios.
func cell(r Result, ok bool, name string) (string, float64, bool) {
	if !ok {
		return "—", 0, false
	}
	v, found := r.metric(name)
	if r.Error != "" {
		if found {
			return fmtNum(v) + " (failed)", 0, false
		}
		return "failed", 0, false
	}
	if !found {
		return "—", 0, false
	}
	return fmtNum(v), v, true
}

// Markdown renders the report: the run's setup, the targets, a summary (the
// first metric of every phase) and one table per phase.
func (rep *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s, mode `%s`, took %s.\n\n", rep.Started, rep.Mode, rep.Duration)
	if len(rep.Machine) > 0 {
		b.WriteString("Machine:")
		for _, k := range []string{"cpu", "nproc", "memory", "kernel", "go", "java", "load at start", "load at end"} {
			if v, ok := rep.Machine[k]; ok {
				fmt.Fprintf(&b, " %s %s;", k, v)
			}
		}
		b.WriteString("\n\n")
	}
	for _, s := range rep.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	if len(rep.Setup) > 0 {
		b.WriteString("\n")
	}
	for _, n := range rep.comparability() {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	if len(rep.Checks) > 0 {
		b.WriteString("#### Targets of issue 6\n\n| target | measured | status |\n|---|---|---|\n")
		for _, c := range rep.Checks {
			fmt.Fprintf(&b, "| %s | %s | **%s** |\n", c.Target, c.Detail, c.Status)
		}
		b.WriteString("\n")
	}
	phases, deps, titles := rep.phaseOrder()
	b.WriteString("#### Summary (first figure of each phase)\n\n| phase | deployment | figure | ours | ZooKeeper | ours/ZK |\n|---|---|---|---:|---:|---:|\n")
	for _, p := range phases {
		for _, d := range deps[p] {
			o, okO := rep.find(p, d, sysOurs)
			z, okZ := rep.find(p, d, sysZK)
			name := ""
			for _, r := range []Result{o, z} {
				if name == "" && len(r.Metrics) > 0 {
					name = r.Metrics[0].Name
				}
			}
			if name == "" {
				name = "—"
			}
			so, vo, okVO := cell(o, okO, name)
			sz, vz, okVZ := cell(z, okZ, name)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", p, d, name, so, sz, ratio(vo, vz, okVO, okVZ))
		}
	}
	b.WriteString("\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "#### %s\n\n%s\n\n| deployment | figure | ours | ZooKeeper | ours/ZK |\n|---|---|---:|---:|---:|\n", p, titles[p])
		var errs []string
		for _, d := range deps[p] {
			o, okO := rep.find(p, d, sysOurs)
			z, okZ := rep.find(p, d, sysZK)
			var names []string
			for _, r := range []Result{o, z} {
				if r.Error != "" {
					errs = append(errs, fmt.Sprintf("%s %s failed: %s", r.System, d, r.Error))
				}
				for _, m := range r.Metrics {
					dup := false
					for _, n := range names {
						dup = dup || n == m.Name
					}
					if !dup {
						names = append(names, m.Name)
					}
				}
			}
			for _, n := range names {
				so, vo, okVO := cell(o, okO, n)
				sz, vz, okVZ := cell(z, okZ, n)
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", d, n, so, sz, ratio(vo, vz, okVO, okVZ))
			}
		}
		b.WriteString("\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "> %s\n\n", strings.ReplaceAll(e, "\n", " "))
		}
	}
	return b.String()
}

// JSON renders the report as indented JSON.
func (rep *Report) JSON() ([]byte, error) { return json.MarshalIndent(rep, "", "  ") }

func (rep *Report) write(mdPath, jsonPath string) error {
	if mdPath != "" {
		if err := os.WriteFile(mdPath, []byte(rep.Markdown()), 0o644); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		b, err := rep.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
