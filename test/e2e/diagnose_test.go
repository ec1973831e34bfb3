//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// scenario runs f as a subtest that, when it fails, logs what tells a server
// bug from a test race (diagnose).
func scenario(t *testing.T, name string, f func(t *testing.T)) bool {
	return t.Run(name, func(t *testing.T) {
		t.Cleanup(func() {
			if t.Failed() {
				diagnose(t)
			}
		})
		f(t)
	})
}

// diagnose logs, as the failure is reported: for every member pod, what it
// answers to srvr (mode, zxid, node count) and to its admin status (role,
// applied index, lag, lost data), and the tail of its log; the tail of the
// operator's log; the ZKEnsembles, pods, volumes and events of the
// namespaces that hold members. A member behind the others points at a read
// without a sync; members that agree and answer wrongly point at the server.
func diagnose(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.MatchingLabels{"app.kubernetes.io/name": "zkensemble"}); err != nil {
		t.Logf("diagnose: listing member pods: %v", err)
	}
	namespaces := map[string]bool{}
	for _, p := range pods.Items {
		namespaces[p.Namespace] = true
		var b strings.Builder
		fmt.Fprintf(&b, "member pod %s/%s (phase %s, ready %v, restarts %d)\n", p.Namespace, p.Name, p.Status.Phase, podIsReady(&p), restarts(&p))
		if p.Status.Phase == corev1.PodRunning {
			// The admin port's public srvr: it answers whichever client ports
			// the member serves (a TLS-only member has no plain port for nc).
			fmt.Fprintf(&b, "--- srvr:\n%s\n", memberSrvr(ctx, p.Namespace, p.Labels["app.kubernetes.io/instance"], p.Name))
			fmt.Fprintf(&b, "--- admin /v1/status (with the operator's certificate):\n%s\n", adminStatus(ctx, p.Namespace, p.Labels["app.kubernetes.io/instance"], p.Name))
		}
		out, err := k.run(t, "", k.kubectl, "-n", p.Namespace, "logs", p.Name, "--tail=40")
		fmt.Fprintf(&b, "\n--- log (last 40 lines):\n%s", out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
		if restarts(&p) > 0 {
			out, _ := k.run(t, "", k.kubectl, "-n", p.Namespace, "logs", p.Name, "--previous", "--tail=20")
			fmt.Fprintf(&b, "--- previous container's log (last 20 lines):\n%s", out)
		}
		t.Log(b.String())
	}
	out, err := k.run(t, "", k.kubectl, "-n", operatorNS, "logs", "--all-containers", "--prefix", "--tail=60", "-l", "app.kubernetes.io/name=zkensemble-operator")
	t.Logf("operator log (last 60 lines):\n%s%v", out, errOrEmpty(err))
	for ns := range namespaces {
		out, err := k.run(t, "", k.kubectl, "-n", ns, "get", "zke,pods,pvc,events", "-o", "wide")
		t.Logf("namespace %s:\n%s%v", ns, out, errOrEmpty(err))
	}
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n += c.RestartCount
	}
	return n
}

func errOrEmpty(err error) any {
	if err == nil {
		return ""
	}
	return err
}
