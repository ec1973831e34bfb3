package main

import (
	"strings"
	"testing"
)

func TestStableRates(t *testing.T) {
	tests := []struct {
		name   string
		series [][]float64
		want   bool
	}{
		{"one window", [][]float64{{100}, {100}}, false},
		{"rising JVM", [][]float64{{17600, 24000, 29000}, {50000, 52000}}, false},
		{"within 5% both", [][]float64{{17600, 29000, 30000}, {50000, 52000}}, true},
		{"reads still rising", [][]float64{{29000, 30000}, {40000, 50000}}, false},
		{"falling more than 5%", [][]float64{{30000, 28000}, {50000, 50000}}, false},
		{"zero rate", [][]float64{{0, 0}, {50000, 50000}}, false},
	}
	for _, tc := range tests {
		if got := stableRates(tc.series...); got != tc.want {
			t.Errorf("%s: stableRates = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestComparabilityNotes(t *testing.T) {
	warm := func(sys string, stable float64) Result {
		return Result{Phase: phaseWarm, Deployment: depStandalone, System: sys, Metrics: []Metric{{Name: metricStable, Value: stable}}}
	}
	tests := []struct {
		name    string
		mode    string
		results []Result
		want    string // "" for no note
	}{
		{"quick, both stable", "quick", []Result{warm(sysOurs, 1), warm(sysZK, 1)}, ""},
		{"quick, ZooKeeper unstable", "quick", []Result{warm(sysOurs, 1), warm(sysZK, 0)}, "zookeeper standalone did not reach a stable rate"},
		{"quick, no warm-up", "quick", nil, "quick mode without -warm-stable"},
		{"full, no warm-up", "full", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Mode: tc.mode, Results: tc.results}
			md := rep.Markdown()
			if tc.want == "" {
				if strings.Contains(md, "not comparable") {
					t.Errorf("unexpected note in:\n%s", md)
				}
				return
			}
			if !strings.Contains(md, "**Ratios not comparable:**") || !strings.Contains(md, tc.want) {
				t.Errorf("want a note with %q in:\n%s", tc.want, md)
			}
		})
	}
}
