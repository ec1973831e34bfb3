//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// podSettings: an ensemble with a pull secret, extra env, a sidecar and its
// transaction log on its own volume runs with them and serves; then its
// storage is grown. The local cluster's StorageClass (the hostpath
// provisioner) does not allow expansion, so what is checked here is the
// refusal: the claims keep their size and the VolumesExpanded condition
// names the class and the fix (expansion itself is checked under envtest,
// TestVolumeExpansion, against the patched claims).
func podSettings(t *testing.T, ctx context.Context) {
	ns := fmt.Sprintf("e2e-pods-%d", rand.IntN(100000))
	name := "pods"
	k.must(t, k.kubectl, "create", "namespace", ns)
	t.Cleanup(func() {
		_, _ = k.run(t, "", k.kubectl, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=3m")
	})
	k.must(t, k.kubectl, "-n", ns, "create", "secret", "docker-registry", "regcred",
		"--docker-server=registry.example.com", "--docker-username=u", "--docker-password=p")
	extra := fmt.Sprintf(`    dataLog:
      size: 50Mi
  pod:
    imagePullSecrets: [{name: regcred}]
    env: [{name: ZKE_E2E_MARK, value: pod-settings}]
    containers:
    - name: sidecar
      image: %s
      command: [/bin/busybox, sleep, "86400"]
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: [ALL]}}
    readinessProbe: {periodSeconds: 3}
`, k.serverImage)
	// sampleYAML ends inside spec.storage: dataLog goes there.
	if _, err := k.run(t, sampleYAML(name, ns, 3, extra), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	z := waitSettled(t, ctx, ns, name, 3, 5*time.Minute)
	t.Logf("3 members with pod settings Available in %s", time.Since(start).Round(time.Second))

	for i := range 3 {
		pod := &corev1.Pod{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("%s-%d", name, i)}, pod); err != nil {
			t.Fatal(err)
		}
		var ctrs []string
		for _, c := range pod.Spec.Containers {
			ctrs = append(ctrs, c.Name)
		}
		server := pod.Spec.Containers[0]
		switch {
		case !slices.Equal(ctrs, []string{"server", "sidecar"}):
			t.Errorf("%s containers %v", pod.Name, ctrs)
		case len(pod.Spec.ImagePullSecrets) != 1 || pod.Spec.ImagePullSecrets[0].Name != "regcred":
			t.Errorf("%s pull secrets %v", pod.Name, pod.Spec.ImagePullSecrets)
		case !slices.ContainsFunc(server.Env, func(e corev1.EnvVar) bool { return e.Name == "ZKE_E2E_MARK" }):
			t.Errorf("%s env %v", pod.Name, server.Env)
		case server.ReadinessProbe.PeriodSeconds != 3:
			t.Errorf("%s readiness probe %+v", pod.Name, server.ReadinessProbe)
		case pod.Spec.Affinity == nil || pod.Spec.Affinity.PodAntiAffinity == nil:
			t.Errorf("%s has no anti-affinity", pod.Name)
		}
		for _, c := range pod.Status.ContainerStatuses {
			if !c.Ready {
				t.Errorf("%s container %s not ready", pod.Name, c.Name)
			}
		}
		// The transaction log is on its own volume.
		out, err := k.run(t, "", k.kubectl, "-n", ns, "exec", pod.Name, "-c", "server", "--", "/bin/busybox", "sh", "-c",
			"ls /datalog/version-2/wal; echo conf | /bin/busybox nc -w 3 127.0.0.1 2181")
		if err != nil || !strings.Contains(out, ".wal") || !strings.Contains(out, "dataLogDir=/datalog") {
			t.Errorf("%s: no WAL in /datalog or conf without it: %v\n%s", pod.Name, err, out)
		}
		if _, err := k.run(t, "", k.kubectl, "-n", ns, "exec", pod.Name, "-c", "server", "--", "/bin/busybox", "test", "-e", "/data/version-2/wal"); err == nil {
			t.Errorf("%s: a WAL in /data too", pod.Name)
		}
	}
	// It serves.
	svc := &corev1.Service{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name + "-client"}, svc); err != nil {
		t.Fatal(err)
	}
	c, err := zkclient.Connect(fmt.Sprintf("%s:2181", svc.Spec.ClusterIP), 10*time.Second, zkclient.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(cctx, "/pods", []byte("served"), 0, zkclient.WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c.Get(cctx, "/pods"); err != nil || string(data) != "served" {
		t.Fatalf("read %q %v", data, err)
	}

	// Grow the storage: refused by the hostpath class, with the fix.
	patch := client.MergeFrom(z.DeepCopy())
	q := resource.MustParse("200Mi")
	z.Spec.Storage.Size = &q
	if err := k.c.Patch(ctx, z, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, func() error {
		z := getZKE(t, ctx, ns, name)
		cond := meta.FindStatusCondition(z.Status.Conditions, "VolumesExpanded")
		if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "ExpansionNotAllowed" || !strings.Contains(cond.Message, "allowVolumeExpansion") {
			return fmt.Errorf("condition %+v", cond)
		}
		t.Logf("refused: %s", cond.Message)
		return nil
	})
	for i := range 3 {
		pvc := &corev1.PersistentVolumeClaim{}
		if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("data-%s-%d", name, i)}, pvc); err != nil {
			t.Fatal(err)
		}
		if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.String() != "100Mi" {
			t.Errorf("%s requests %s after a refused expansion", pvc.Name, &got)
		}
	}
	if !meta.IsStatusConditionTrue(getZKE(t, ctx, ns, name).Status.Conditions, "Available") {
		t.Error("the ensemble is not Available after the refused expansion")
	}
}
