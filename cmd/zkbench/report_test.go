package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFmtNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{0.1234, "0.123"},
		{1.234, "1.23"},
		{12.34, "12.3"},
		{123.4, "123"},
		{1234.5, "1,235"},
		{1234567, "1,234,567"},
		{-4321, "-4,321"},
		{5, "5"},
		{64, "64"},
	}
	for _, tc := range tests {
		if got := fmtNum(tc.in); got != tc.want {
			t.Errorf("fmtNum(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func sampleReport() *Report {
	m := func(ops, p99 float64) []Metric {
		return []Metric{{Name: "ops/s", Value: ops, Better: higher}, {Name: "p99 ms", Value: p99, Better: lower}}
	}
	return &Report{
		Started: "2026-12-03 12:00 UTC", Mode: "full", Duration: "10m0s",
		Machine: map[string]string{"cpu": "Test CPU", "nproc": "2"},
		Setup:   []string{"pinned"},
		Results: []Result{
			{Phase: "setData", Title: "setData, 64 clients", Deployment: depStandalone, System: sysOurs, Metrics: m(20000, 5)},
			{Phase: "setData", Title: "setData, 64 clients", Deployment: depStandalone, System: sysZK, Metrics: m(10000, 10)},
			{Phase: "setData", Title: "setData, 64 clients", Deployment: depEnsemble, System: sysOurs, Metrics: m(6000, 20)},
			{Phase: "setData", Title: "setData, 64 clients", Deployment: depEnsemble, System: sysZK, Error: "quorum lost\nmore"},
			{Phase: "getData", Title: "getData, 64 clients", Deployment: depStandalone, System: sysOurs, Metrics: m(60000, 2)},
			{Phase: "getData", Title: "getData, 64 clients", Deployment: depStandalone, System: sysZK, Metrics: m(50000, 1)},
			{Phase: "getData open loop", Title: "getData, open loop", Deployment: depStandalone, System: sysOurs, Metrics: m(35000, 2)},
			{Phase: "getData open loop", Title: "getData, open loop", Deployment: depStandalone, System: sysZK, Metrics: m(35000, 3), Error: "load generator fell behind"},
		},
	}
}

func TestMarkdownTables(t *testing.T) {
	rep := sampleReport()
	rep.evaluate(64)
	md := rep.Markdown()
	tests := []struct {
		name, want string
	}{
		{"summary row with ratio", "| setData | standalone | ops/s | 20,000 | 10,000 | 2.00 |"},
		{"summary row of a failed side", "| setData | 3-member ensemble | ops/s | 6,000 | failed | — |"},
		{"failed side that measured figures", "| standalone | p99 ms | 2 | 3 (failed) | — |"},
		{"its error below the table", "> zookeeper standalone failed: load generator fell behind"},
		{"detail header", "#### setData\n\nsetData, 64 clients\n\n| deployment | figure | ours | ZooKeeper | ours/ZK |"},
		{"detail row", "| standalone | p99 ms | 5 | 10 | 0.50 |"},
		{"error note on one line", "> zookeeper 3-member ensemble failed: quorum lost more"},
		{"write target met", "| standalone write throughput ≥ 2× ZooKeeper (64 clients) | setData ops/s: ours 20,000, ZooKeeper 10,000, ratio 2.00 (want ≥ 2.00) | **met** |"},
		{"read target missed", "ratio 1.20 (want ≥ 1.50) | **missed** |"},
		{"p99 target missed by getData", "getData ours 2 ms vs 1 ms | **missed** |"},
		{"ensemble not measured", "| 3-member ensemble write throughput ≥ 1.5× ZooKeeper's ensemble (64 clients) | setData 3-member ensemble not measured on both systems | **not measured** |"},
		{"machine", "Machine: cpu Test CPU; nproc 2;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(md, tc.want) {
				t.Errorf("markdown lacks %q:\n%s", tc.want, md)
			}
		})
	}
	if strings.Index(md, "#### setData") > strings.Index(md, "#### getData") {
		t.Errorf("phases out of order")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rep := sampleReport()
	rep.evaluate(64)
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(rep.Results) || len(back.Checks) != len(rep.Checks) {
		t.Fatalf("lost results or checks: %d/%d, %d/%d", len(back.Results), len(rep.Results), len(back.Checks), len(rep.Checks))
	}
	if v, ok := back.Results[0].metric("ops/s"); !ok || v != 20000 {
		t.Errorf("ops/s = %v, %v", v, ok)
	}
	if back.Results[3].Error == "" {
		t.Errorf("error lost")
	}
}
