package nemesis

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestNemesis runs one round of the schedule (every kind of fault once) on
// 3 and on 5 members; with NEMESIS_DURATION it is the soak (make soak), and
// NEMESIS_MEMBERS picks the sizes. SEED replays a schedule.
func TestNemesis(t *testing.T) {
	requireRoot(t)
	cfg := Config{Out: os.Getenv("NEMESIS_OUT")}
	if d := os.Getenv("NEMESIS_DURATION"); d != "" {
		var err error
		if cfg.Duration, err = time.ParseDuration(d); err != nil {
			t.Fatalf("NEMESIS_DURATION: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SEED: %v", err)
		}
	}
	sizes := []int{3, 5}
	if s := os.Getenv("NEMESIS_MEMBERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3 || n > 7 {
			t.Fatalf("NEMESIS_MEMBERS=%q: 3 to 7", s)
		}
		sizes = []int{n}
	}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("members=%d", n), func(t *testing.T) {
			c := cfg
			c.Members, c.Seed = n, seed
			Run(t, c)
		})
	}
}

// requireRoot: namespaces, veths and iptables need root. Without it the
// test says so and is skipped (the one prerequisite it skips for).
func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the nemesis needs root (network namespaces, veth pairs, iptables); run make test as root")
	}
}
