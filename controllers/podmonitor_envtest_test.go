package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// TestPodMonitor: without the Prometheus Operator's CRD the ensemble says
// the PodMonitor was skipped and why (and its pass goes on); once the CRD
// exists the PodMonitor appears, selecting the member pods' probe port.
func TestPodMonitor(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "mon", func(z *zkv1.ZKEnsemble) {
		z.Spec.Metrics.PodMonitor = &zkv1.PodMonitorSpec{Enabled: true, Interval: "15s", Labels: map[string]string{"release": "prom"}}
	})
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: "mon"}
	monitoring := func(reason string) func() error {
		return func() error {
			got := &zkv1.ZKEnsemble{}
			if err := c.Get(ctx, key, got); err != nil {
				return err
			}
			cond := meta.FindStatusCondition(got.Status.Conditions, CondMonitoring)
			if cond == nil || cond.Reason != reason {
				return fmt.Errorf("Monitoring condition %+v, want reason %s", cond, reason)
			}
			return nil
		}
	}
	scheme := runtime.NewScheme()
	_ = apiextensionsv1.AddToScheme(scheme)
	crds, err := client.New(testEnv.cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := crds.Get(ctx, client.ObjectKey{Name: "podmonitors.monitoring.coreos.com"}, &apiextensionsv1.CustomResourceDefinition{}); err == nil {
		t.Fatal("the PodMonitor CRD exists before the test installs it")
	}
	eventually(t, 20*time.Second, monitoring("PodMonitorSkipped"))

	installPodMonitorCRD(t, ctx, crds)
	// A change wakes a pass at once (else the periodic one finds the CRD).
	eventually(t, 20*time.Second, func() error {
		got := &zkv1.ZKEnsemble{}
		if err := c.Get(ctx, key, got); err != nil {
			return err
		}
		got.Spec.Metrics.PodMonitor.Interval = "20s"
		return c.Update(ctx, got)
	})
	pm := &unstructured.Unstructured{}
	pm.SetGroupVersionKind(podMonitorGVK)
	eventually(t, 30*time.Second, func() error { return c.Get(ctx, key, pm) })
	eventually(t, 20*time.Second, monitoring("PodMonitorCreated"))
	if err := c.Get(ctx, key, pm); err != nil {
		t.Fatal(err)
	}
	eps, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
	sel, _, _ := unstructured.NestedStringMap(pm.Object, "spec", "selector", "matchLabels")
	if len(eps) != 1 || eps[0].(map[string]any)["port"] != "probe" || eps[0].(map[string]any)["path"] != "/metrics" {
		t.Errorf("podMetricsEndpoints %v, want the probe port's /metrics", eps)
	}
	if len(sel) == 0 || pm.GetLabels()["release"] != "prom" || len(pm.GetOwnerReferences()) != 1 {
		t.Errorf("selector %v, labels %v, owners %v", sel, pm.GetLabels(), pm.GetOwnerReferences())
	}

	// Disabled: the PodMonitor goes, and so does the condition.
	eventually(t, 20*time.Second, func() error {
		got := &zkv1.ZKEnsemble{}
		if err := c.Get(ctx, key, got); err != nil {
			return err
		}
		got.Spec.Metrics.PodMonitor.Enabled = false
		return c.Update(ctx, got)
	})
	eventually(t, 30*time.Second, func() error {
		if err := c.Get(ctx, key, pm); err == nil {
			return fmt.Errorf("the PodMonitor is still there")
		}
		return nil
	})
}

// installPodMonitorCRD installs a schemaless monitoring.coreos.com/v1
// PodMonitor kind (the test needs the kind, not the Prometheus Operator's
// schema; the e2e scenario installs the real CRDs) and waits until it serves.
func installPodMonitorCRD(t *testing.T, ctx context.Context, c client.Client) {
	t.Helper()
	preserve := true
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "podmonitors.monitoring.coreos.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "monitoring.coreos.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "podmonitors", Singular: "podmonitor", Kind: "PodMonitor", ListKind: "PodMonitorList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve}}}},
		},
	}
	if err := c.Create(ctx, crd); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), got); err != nil {
			return err
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("CRD not established yet")
	})
}
