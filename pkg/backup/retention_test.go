package backup

import (
	"slices"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var list []Info
	for _, hoursAgo := range []int{50, 30, 20, 5, 2, 1} { // oldest first
		list = append(list, Info{Name: "b" + time.Duration(hoursAgo*int(time.Hour)).String(), Time: now.Add(-time.Duration(hoursAgo) * time.Hour)})
	}
	names := func(l []Info) []string {
		out := []string{}
		for _, b := range l {
			out = append(out, b.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		r    Retention
		want []string
	}{
		{"nothing asked", Retention{}, []string{}},
		{"keep last 2", Retention{KeepLast: 2}, []string{"b50h0m0s", "b30h0m0s", "b20h0m0s", "b5h0m0s"}},
		{"keep last 10", Retention{KeepLast: 10}, []string{}},
		{"keep within 24h", Retention{KeepWithin: 24 * time.Hour}, []string{"b50h0m0s", "b30h0m0s"}},
		{"either rule keeps", Retention{KeepLast: 5, KeepWithin: time.Hour}, []string{"b50h0m0s"}},
		{"within 1m: the newest stays", Retention{KeepWithin: time.Minute}, []string{"b50h0m0s", "b30h0m0s", "b20h0m0s", "b5h0m0s", "b2h0m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.r.Expired(list, now)); !slices.Equal(got, tc.want) {
				t.Fatalf("expired %v, want %v", got, tc.want)
			}
		})
	}
	if got := (Retention{KeepLast: 1}).Expired(nil, now); len(got) != 0 {
		t.Fatalf("no backups: %v", got)
	}
}
