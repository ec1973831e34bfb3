package install

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// promtool finds promtool: $PROMTOOL, else the cached build of `make
// promtool` (hack/build-promtool.sh, from the Prometheus Go module).
func promtool(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("PROMTOOL")}
	if cache, err := os.UserCacheDir(); err == nil {
		matches, _ := filepath.Glob(filepath.Join(cache, "zkensemble", "promtool", "promtool-v*"))
		cands = append(cands, matches...)
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if os.Getenv("ZKE_REQUIRE_ENVTEST") != "" {
		t.Fatal("promtool not found (set PROMTOOL or run `make promtool`)")
	}
	t.Skip("promtool not found (run `make promtool`; `make test` builds it and fails instead)")
	return ""
}

// renderOne renders the chart with sets and returns the one object of kind.
func renderOne(t *testing.T, kind string, sets ...string) map[string]any {
	t.Helper()
	args := []string{"template", "zke", chart, "--namespace", "zke-system"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := run(t, tool(t, "HELM", "helm"), args...)
	if err != nil {
		t.Fatal(err)
	}
	var found []map[string]any
	for _, doc := range strings.Split(out, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if obj["kind"] == kind {
			found = append(found, obj)
		}
	}
	if len(found) != 1 {
		t.Fatalf("rendering has %d %s objects, want 1", len(found), kind)
	}
	return found[0]
}

// TestPrometheusRulePassesPromtool renders the chart's PrometheusRule, checks
// its groups with `promtool check rules` and runs the alert unit tests of
// testdata/alerts_test.yaml against them.
func TestPrometheusRulePassesPromtool(t *testing.T) {
	pt := promtool(t)
	rule := renderOne(t, "PrometheusRule", "monitoring.prometheusRule.enabled=true")
	spec, _ := rule["spec"].(map[string]any)
	rules, err := yaml.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, pt, "check", "rules", filepath.Join(dir, "rules.yaml"))
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	t.Log(out)
	for _, alert := range []string{"ZKEnsembleNoLeader", "ZKEnsembleQuorumAtRisk", "ZKEnsembleMemberLagging", "ZKEnsembleFsyncSlow", "ZKEnsembleSessionsExpiringFast"} {
		if !strings.Contains(string(rules), "alert: "+alert) {
			t.Errorf("the rule has no alert %s", alert)
		}
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, pt, "test", "rules", filepath.Join(dir, "alerts_test.yaml"))
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Log(out)
}

// grafanaVars are the dashboard's Grafana variables, replaced by values
// Prometheus accepts so promtool can parse each panel's query.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$job", ".*")

// TestDashboardConfigMap renders the dashboard ConfigMap: Grafana's sidecar
// label, JSON that parses, every query valid PromQL (checked by promtool as
// recording rules), and ZooKeeper's metric names where ZooKeeper has them.
func TestDashboardConfigMap(t *testing.T) {
	cm := renderOne(t, "ConfigMap", "monitoring.dashboard.enabled=true")
	md, _ := cm["metadata"].(map[string]any)
	if labels, _ := md["labels"].(map[string]any); labels["grafana_dashboard"] != "1" {
		t.Errorf("the dashboard ConfigMap's labels %v lack grafana_dashboard: \"1\"", labels)
	}
	data, _ := cm["data"].(map[string]any)
	raw, _ := data["zkensemble-ensembles.json"].(string)
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var recording []map[string]any
	var all strings.Builder
	for i, p := range dash.Panels {
		for j, tg := range p.Targets {
			recording = append(recording, map[string]any{"record": fmt.Sprintf("dashboard:panel%d_%d", i, j), "expr": grafanaVars.Replace(tg.Expr)})
			all.WriteString(tg.Expr + "\n")
		}
	}
	if len(recording) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for _, name := range []string{"znode_count", "num_alive_connections", "global_sessions", "ephemerals_count", "watch_count",
		"packets_received", "outstanding_requests", "readlatency", "updatelatency", "avg_latency", "approximate_data_size", "synced_followers"} {
		if !regexp.MustCompile(`\b` + name + `\{`).MatchString(all.String()) {
			t.Errorf("no panel reads ZooKeeper's %s", name)
		}
	}
	rules, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": recording}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yaml")
	if err := os.WriteFile(path, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, promtool(t), "check", "rules", path); err != nil {
		t.Fatalf("a dashboard query is not valid PromQL: %v\n%s", err, out)
	}
}
