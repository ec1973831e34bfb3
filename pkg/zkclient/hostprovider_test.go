package zkclient

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestParseConnectString(t *testing.T) {
	tests := []struct {
		in     string
		hosts  []string
		chroot string
		bad    bool
	}{
		{in: "a:1,b:2", hosts: []string{"a:1", "b:2"}},
		{in: "a,b:2/app/x", hosts: []string{"a:2181", "b:2"}, chroot: "/app/x"},
		{in: "a:1/", hosts: []string{"a:1"}},
		{in: "[::1]:3000,[fe80::1]", hosts: []string{"[::1]:3000", "[fe80::1]:2181"}},
		{in: "a:1/bad/", bad: true},
		{in: "a:1/x//y", bad: true},
		{in: "", bad: true},
	}
	for _, tc := range tests {
		hosts, chroot, err := ParseConnectString(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted", tc.in)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(hosts, tc.hosts) || chroot != tc.chroot {
			t.Errorf("%q: %v %q %v", tc.in, hosts, chroot, err)
		}
	}
}

func servers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%d:2181", i+1)
	}
	return out
}

// rebalance simulates n clients spread evenly over the old list, gives them
// the new list, and returns where each one ends up.
func rebalance(t *testing.T, n int, old, next []string, seed uint64) (moved int, load map[string]int, movedFromKept int) {
	t.Helper()
	load = map[string]int{}
	for i := 0; i < n; i++ {
		h := NewHostProvider(old, rand.New(rand.NewPCG(seed, uint64(i))))
		// Connect to the i-th server of the old list (even spread).
		var cur string
		for cur != old[i%len(old)] {
			cur, _ = h.Next()
		}
		h.OnConnected()
		if h.UpdateServerList(next, cur) {
			dst, _ := h.Next()
			if dst != cur {
				moved++
				if contains(next, cur) {
					movedFromKept++
				}
			}
			cur = dst
		}
		load[cur]++
	}
	return moved, load, movedFromKept
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRebalanceFractions checks ZooKeeper's rule statistically: the measured
// fraction of clients that move must be within 5 standard deviations of the
// expected one for this sample size.
func TestRebalanceFractions(t *testing.T) {
	const n = 20000
	tests := []struct {
		name      string
		old, next []string
		want      float64 // expected fraction that moves
	}{
		{"3→5", servers(3), servers(5), 1 - 3.0/5},
		{"3→4", servers(3), servers(4), 1 - 3.0/4},
		{"5→3", servers(5), servers(3), 2.0 / 5},
	}
	for _, tc := range tests {
		moved, load, movedFromKept := rebalance(t, n, tc.old, tc.next, 42)
		frac := float64(moved) / n
		bound := 5 * math.Sqrt(tc.want*(1-tc.want)/n)
		t.Logf("%s: %d of %d clients moved (%.4f, expected %.4f ± %.4f); load %v", tc.name, moved, n, frac, tc.want, bound, load)
		if math.Abs(frac-tc.want) > bound {
			t.Errorf("%s: moved fraction %.4f, want %.4f ± %.4f", tc.name, frac, tc.want, bound)
		}
		if len(tc.next) < len(tc.old) && movedFromKept != 0 {
			t.Errorf("%s: %d clients of surviving servers moved", tc.name, movedFromKept)
		}
		// Every server ends with about 1/N of the clients.
		per := float64(n) / float64(len(tc.next))
		for _, s := range tc.next {
			if math.Abs(float64(load[s])-per) > 5*math.Sqrt(per) {
				t.Errorf("%s: %s has %d clients, want about %.0f", tc.name, s, load[s], per)
			}
		}
	}
}

func TestRingAndBackoff(t *testing.T) {
	h := NewHostProvider(servers(3), rand.New(rand.NewPCG(1, 2)))
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		a, back := h.Next()
		if back {
			t.Fatalf("back-off during the first round (try %d)", i)
		}
		seen[a] = true
	}
	if len(seen) != 3 {
		t.Fatalf("first round visited %v", seen)
	}
	if _, back := h.Next(); !back {
		t.Fatal("no back-off after every server was tried")
	}
	h.OnConnected()
	cur := h.Current()
	if _, back := h.Next(); back {
		t.Fatal("back-off right after a success")
	}
	if cur == "" {
		t.Fatal("current server unknown")
	}
}

func TestParseEnsembleConfig(t *testing.T) {
	data := []byte("server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181\nserver.2=h2:2888:3888:participant;0.0.0.0:2182\nserver.3=h3:2888:3888:observer\nversion=100000003")
	cfg, err := ParseEnsembleConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 0x100000003 || len(cfg.Members) != 3 || cfg.Members[2].Role != "observer" {
		t.Fatalf("%+v", cfg)
	}
	if got := cfg.ConnectString(); got != "10.0.0.1:2181,h2:2182" {
		t.Fatalf("connect string %q", got)
	}
}
