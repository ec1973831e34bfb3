package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

func newZKE(ns, name string, mutate ...func(*zkv1.ZKEnsemble)) *zkv1.ZKEnsemble {
	z := &zkv1.ZKEnsemble{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       zkv1.ZKEnsembleSpec{Replicas: 3, TickTime: 2000},
	}
	for _, m := range mutate {
		m(z)
	}
	return z
}

// TestRenderedObjects: a ZKEnsemble gets its Services, ConfigMap, and a
// StatefulSet started at one member (the bootstrap step), all owned by it,
// and a status that says no quorum serves yet.
func TestRenderedObjects(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "demo", func(z *zkv1.ZKEnsemble) {
		z.Spec.MaxClientCnxns = ptr.To(int32(0))
		z.Spec.ExtraConfig = map[string]string{"globalOutstandingLimit": "2000"}
		z.Spec.ClientService.Port = 12181
		z.Spec.ReadOnlyMode = true
	})
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	sts := &appsv1.StatefulSet{}
	// The first pass creates it at 0 and its step sets the replicas.
	eventually(t, 20*time.Second, func() error { return stsScaled(ctx, key("demo"), sts) })
	if got := ptr.Deref(sts.Spec.Replicas, -1); got != 1 {
		t.Errorf("StatefulSet starts with %d replicas; want 1 (one member bootstraps, the rest join one by one)", got)
	}
	if sts.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType || sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("update strategy %s, pod management %s: the controller must own rollouts", sts.Spec.UpdateStrategy.Type, sts.Spec.PodManagementPolicy)
	}
	ctr := sts.Spec.Template.Spec.Containers[0]
	if ctr.Image != "zkensemble/server:test" || !slices.Contains(ctr.Args, "--ensemble-id="+string(zke.UID)) ||
		!slices.Contains(ctr.Args, fmt.Sprintf("--pod-domain=demo-peers.$(POD_NAMESPACE).svc.%s", defaultClusterDomain)) {
		t.Errorf("container %s args %v", ctr.Image, ctr.Args)
	}
	if sts.Spec.Template.Annotations[configHashAnnotation] == "" {
		t.Error("no configuration hash on the pod template")
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, key("demo-config"), cm); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tickTime=2000", "minSessionTimeout=4000", "maxSessionTimeout=40000", "maxClientCnxns=0", "globalOutstandingLimit=2000", "dataDir=/data", "readonlymode.enabled=true"} {
		if !strings.Contains(cm.Data["zoo.cfg"], want+"\n") {
			t.Errorf("zoo.cfg lacks %q:\n%s", want, cm.Data["zoo.cfg"])
		}
	}
	if strings.Contains(cm.Data["zoo.cfg"], "server.") {
		t.Error("zoo.cfg must not carry membership")
	}
	if cm.Data["bootstrap"] != "1\n" {
		t.Errorf("bootstrap %q before the first publication; want member 1", cm.Data["bootstrap"])
	}
	peers, clientSvc := &corev1.Service{}, &corev1.Service{}
	if err := c.Get(ctx, key("demo-peers"), peers); err != nil {
		t.Fatal(err)
	}
	if peers.Spec.ClusterIP != corev1.ClusterIPNone || !peers.Spec.PublishNotReadyAddresses {
		t.Error("peer Service must be headless and publish members before they are ready")
	}
	if err := c.Get(ctx, key("demo-client"), clientSvc); err != nil {
		t.Fatal(err)
	}
	if clientSvc.Spec.Ports[0].Port != 12181 {
		t.Errorf("client port %d", clientSvc.Spec.Ports[0].Port)
	}
	for _, o := range []client.Object{sts, cm, peers, clientSvc} {
		refs := o.GetOwnerReferences()
		if len(refs) != 1 || refs[0].UID != zke.UID || !ptr.Deref(refs[0].Controller, false) {
			t.Errorf("%s owner references %v", o.GetName(), refs)
		}
	}
	// The PDB is rendered only when a budget above 0 exists (3+ voters).
	eventually(t, 20*time.Second, func() error {
		got := &zkv1.ZKEnsemble{}
		if err := c.Get(ctx, key("demo"), got); err != nil {
			return err
		}
		av := meta.FindStatusCondition(got.Status.Conditions, CondAvailable)
		pr := meta.FindStatusCondition(got.Status.Conditions, CondProgressing)
		if av == nil || pr == nil || av.Status != metav1.ConditionFalse || pr.Status != metav1.ConditionTrue || av.ObservedGeneration != got.Generation {
			return fmt.Errorf("conditions %+v", got.Status.Conditions)
		}
		if got.Status.Phase != PhaseCreating || got.Status.Selector == "" || got.Status.ObservedGeneration != got.Generation {
			return fmt.Errorf("status %+v", got.Status)
		}
		if !strings.Contains(pr.Message, "no leader known") {
			return fmt.Errorf("Progressing says %q", pr.Message)
		}
		return nil
	})
}

// TestConfigChangeRollsPods: a change of rendered configuration changes the
// pod template (the controller then rolls the pods one at a time).
func TestConfigChangeRollsPods(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "roll")
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	sts := &appsv1.StatefulSet{}
	key := types.NamespacedName{Namespace: ns, Name: "roll"}
	eventually(t, 20*time.Second, func() error { return c.Get(ctx, key, sts) })
	before := sts.Spec.Template.Annotations[configHashAnnotation]
	update(t, zke, func() { zke.Spec.TickTime = 1000 })
	eventually(t, 20*time.Second, func() error {
		if err := c.Get(ctx, key, sts); err != nil {
			return err
		}
		if sts.Spec.Template.Annotations[configHashAnnotation] == before {
			return fmt.Errorf("configuration hash unchanged")
		}
		return nil
	})
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "roll-config"}, cm); err != nil {
		t.Fatal(err)
	}
	// The derived bounds follow tickTime: they were never written into the spec.
	if !strings.Contains(cm.Data["zoo.cfg"], "minSessionTimeout=2000\n") || !strings.Contains(cm.Data["zoo.cfg"], "maxSessionTimeout=20000\n") {
		t.Errorf("derived bounds did not follow tickTime:\n%s", cm.Data["zoo.cfg"])
	}
	if err := c.Get(ctx, key, zke); err != nil {
		t.Fatal(err)
	}
	if zke.Spec.MinSessionTimeout != nil || zke.Spec.MaxSessionTimeout != nil {
		t.Error("derived session timeouts were written into the spec")
	}
}

// TestAdmission: the webhook (and the CRD's CEL rules) reject each invalid
// spec with a message that says how to fix it, and accept valid ones.
func TestAdmission(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	gi, two := "1Gi", "2Gi"
	_ = two
	tests := []struct {
		name    string
		zke     *zkv1.ZKEnsemble
		wantErr string
	}{
		{"valid with derived bounds", newZKE(ns, "ok1"), ""},
		{"valid with explicit bounds", newZKE(ns, "ok2", func(z *zkv1.ZKEnsemble) {
			z.Spec.MinSessionTimeout, z.Spec.MaxSessionTimeout = ptr.To(int32(4000)), ptr.To(int32(40000))
		}), ""},
		{"min below 2 ticks", newZKE(ns, "bad1", func(z *zkv1.ZKEnsemble) { z.Spec.MinSessionTimeout = ptr.To(int32(3000)) }), "minSessionTimeout must be at least 2*tickTime"},
		{"min above max", newZKE(ns, "bad3", func(z *zkv1.ZKEnsemble) {
			z.Spec.MinSessionTimeout, z.Spec.MaxSessionTimeout = ptr.To(int32(30000)), ptr.To(int32(20000))
		}), "minSessionTimeout must not exceed maxSessionTimeout"},
		{"tick too small", newZKE(ns, "bad4", func(z *zkv1.ZKEnsemble) { z.Spec.TickTime = 5 }), "spec.tickTime"},
		{"no members", newZKE(ns, "bad5", func(z *zkv1.ZKEnsemble) { z.Spec.Replicas = 0 }), "spec.replicas"},
		{"owned key in extraConfig", newZKE(ns, "bad6", func(z *zkv1.ZKEnsemble) { z.Spec.ExtraConfig = map[string]string{"dataDir": "/x"} }), "dataDir is set by the operator"},
		{"read-only mode in extraConfig", newZKE(ns, "bad7", func(z *zkv1.ZKEnsemble) {
			z.Spec.ExtraConfig = map[string]string{"readonlymode.enabled": "true"}
		}), "readonlymode.enabled is set by the operator"},
		{"valid with read-only mode", newZKE(ns, "ok3", func(z *zkv1.ZKEnsemble) { z.Spec.ReadOnlyMode = true }), ""},
	}
	_ = gi
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Create(ctx, tc.zke, client.DryRunAll)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) && !strings.Contains(err.Error(), "denied") {
				t.Fatalf("error %v; want a rejection", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("message %q; want it to contain %q", err, tc.wantErr)
			}
			t.Logf("rejected: %v", err)
		})
	}
}

// TestAdmissionUpdate: changes the operator cannot carry out are refused.
func TestAdmissionUpdate(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "upd")
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	size := zke.Spec.Storage.Size
	_ = size
	upd := zke.DeepCopy()
	q := mustQuantity("5Gi")
	upd.Spec.Storage.Size = &q
	err := c.Update(ctx, upd, client.DryRunAll)
	if err != nil {
		t.Fatalf("growing the volumes refused: %v", err)
	}
	q = mustQuantity("512Mi")
	upd.Spec.Storage.Size = &q
	if err := c.Update(ctx, upd, client.DryRunAll); err == nil || !strings.Contains(err.Error(), "volumes never shrink") {
		t.Fatalf("shrink: %v", err)
	}
	upd = zke.DeepCopy()
	upd.Spec.Replicas = 1
	if err := c.Update(ctx, upd, client.DryRunAll); err != nil {
		t.Fatalf("scale-down refused: %v", err)
	}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
