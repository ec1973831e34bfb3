package main

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/ensemble"
)

// TestMoveAsideKeepsData: moving state aside again and again (a removal
// verdict repeated, a crash loop) never deletes the copies that hold data
// (before, each move deleted the previous copy: the second move lost the data).
func TestMoveAsideKeepsData(t *testing.T) {
	data := t.TempDir()
	mustWAL(t, data, true) // the member's real data
	first, err := moveAside(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		// The member started empty and was moved aside again before it got
		// any data (an empty WAL is no data).
		mustWAL(t, data, false)
		if _, err := moveAside(data); err != nil {
			t.Fatal(err)
		}
	}
	if !ensemble.HasState(first) {
		t.Fatalf("the copy with the member's data (%s) is gone", first)
	}
	// Empty copies are dropped at the next move: the one with data and the
	// newest remain.
	copies, _ := os.ReadDir(filepath.Join(data, staleDir))
	if len(copies) != 2 {
		t.Fatalf("%d copies kept; want the one with data and the newest", len(copies))
	}
}

func TestPruneStale(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name string
		ages []time.Duration // copies with data, by age
		keep []time.Duration
	}{
		{name: "young copies are all kept", ages: []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 5 * time.Hour}, keep: []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 5 * time.Hour}},
		{name: "old copies beyond the newest three go", ages: []time.Duration{day, 8 * day, 9 * day, 10 * day, 11 * day}, keep: []time.Duration{day, 8 * day, 9 * day}},
		{name: "the only copy stays however old", ages: []time.Duration{100 * day}, keep: []time.Duration{100 * day}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, a := range tc.ages {
				mustWAL(t, filepath.Join(root, now.Add(-a).Format(staleTimeFmt)), true)
			}
			if err := pruneStale(root, now); err != nil {
				t.Fatal(err)
			}
			var got, want []string
			entries, _ := os.ReadDir(root)
			for _, e := range entries {
				got = append(got, e.Name())
			}
			for _, a := range tc.keep {
				want = append(want, now.Add(-a).Format(staleTimeFmt))
			}
			sort.Strings(got)
			sort.Strings(want)
			if len(got) != len(want) {
				t.Fatalf("kept %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("kept %v, want %v", got, want)
				}
			}
		})
	}
}
