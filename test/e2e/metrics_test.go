//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// promOperatorModule is the Prometheus Operator's Go module; its
// example/prometheus-operator-crd directory holds the CRDs.
const promOperatorModule = "github.com/prometheus-operator/prometheus-operator@v0.85.0"

// podMonitorScenario: an ensemble asking for a PodMonitor in a cluster
// without the Prometheus Operator's CRDs says it skipped it; once the CRDs
// are installed (from the operator's Go module) the PodMonitor appears; a
// member's /metrics, read through the API server's pod proxy, serves
// ZooKeeper's names, ours and Raft's.
func podMonitorScenario(t *testing.T, ctx context.Context, ns, name string) {
	k.must(t, k.kubectl, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = k.run(t, "", k.kubectl, "delete", "namespace", ns, "--wait=false") })
	spec := "  metrics:\n    podMonitor:\n      enabled: true\n      interval: 15s\n"
	if _, err := k.run(t, sampleYAML(name, ns, 1, spec), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	monitoring := func(reason string) func() error {
		return func() error {
			z := getZKE(t, ctx, ns, name)
			c := meta.FindStatusCondition(z.Status.Conditions, "Monitoring")
			if c == nil || c.Reason != reason {
				return fmt.Errorf("Monitoring condition %+v, want reason %s", c, reason)
			}
			t.Logf("Monitoring: %s: %s", c.Reason, c.Message)
			return nil
		}
	}
	eventually(t, 2*time.Minute, monitoring("PodMonitorSkipped"))
	waitSettled(t, ctx, ns, name, 1, 4*time.Minute)

	crd := promOperatorCRD(t, "monitoring.coreos.com_podmonitors.yaml")
	k.must(t, k.kubectl, "apply", "--server-side", "-f", crd)
	t.Cleanup(func() { _, _ = k.run(t, "", k.kubectl, "delete", "-f", crd, "--wait=false") })
	k.must(t, k.kubectl, "wait", "--for=condition=Established", "crd/podmonitors.monitoring.coreos.com", "--timeout=60s")
	pm := &unstructured.Unstructured{}
	pm.SetGroupVersionKind(schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"})
	eventually(t, 2*time.Minute, func() error { return k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, pm) })
	eventually(t, time.Minute, monitoring("PodMonitorCreated"))
	eps, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
	t.Logf("PodMonitor endpoints %v", eps)

	raw, err := k.cs.CoreV1().Pods(ns).ProxyGet("http", name+"-0", "7000", "/metrics", nil).DoRaw(ctx)
	if err != nil {
		t.Fatalf("GET /metrics through the pod proxy: %v", err)
	}
	body := string(raw)
	for _, want := range []string{"# TYPE znode_count gauge", "# TYPE num_alive_connections gauge", "# TYPE readlatency summary",
		"# TYPE updatelatency summary", "# TYPE bytes_received_count counter", "# TYPE zkensemble_sessions gauge",
		"zkensemble_raft_term", "etcd_disk_wal_fsync_duration_seconds_bucket"} {
		if !strings.Contains(body, want) {
			t.Errorf("the member's /metrics lacks %q", want)
		}
	}
}

// promOperatorCRD is the path of one CRD file of the Prometheus Operator's
// Go module, downloaded through the module proxy.
func promOperatorCRD(t *testing.T, file string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", promOperatorModule)
	cmd.Env = append(cmd.Environ(), "GOFLAGS=", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", promOperatorModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", promOperatorModule, err, out)
	}
	return filepath.Join(mod.Dir, "example", "prometheus-operator-crd", file)
}
