package nemesis

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// saveArtifacts writes what a failing run leaves for its diagnosis: the
// seed, the schedule's log, the operations, porcupine's visualizations, the
// fault rules left and every member's log. It returns the directory.
func saveArtifacts(t *testing.T, cfg Config, c *Cluster, h *History, results []checked) string {
	out := cfg.Out
	if out == "" {
		out = filepath.Join(os.TempDir(), "zkensemble-nemesis")
	}
	dir := filepath.Join(out, fmt.Sprintf("%s-seed%d-%s", strings.ReplaceAll(t.Name(), "/", "_"), cfg.Seed, time.Now().UTC().Format("20060102T150405")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("artifacts: %v", err)
		return dir
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Logf("artifacts: %v", err)
		}
	}
	write("seed", []byte(fmt.Sprintf("SEED=%d NEMESIS_MEMBERS=%d NEMESIS_DURATION=%v\n", cfg.Seed, cfg.Members, cfg.Duration)))
	h.mu.Lock()
	write("log.txt", []byte(strings.Join(h.log, "\n")+"\n"))
	ops, err := json.MarshalIndent(map[string]any{"register": h.reg, "sequential": h.seq, "acked": h.acked, "unknown": h.unknown, "violations": h.violations}, "", " ")
	h.mu.Unlock()
	if err == nil {
		write("history.json", ops)
	}
	for _, err := range visualize(dir, results) {
		t.Logf("artifacts: %v", err)
	}
	if c != nil {
		for _, m := range c.Members {
			write(fmt.Sprintf("member-%d.log", m.Index+1), []byte(m.Log()))
			write(fmt.Sprintf("member-%d.rules", m.Index+1), []byte(c.Net.Rules(m.Index)))
		}
	}
	return dir
}
