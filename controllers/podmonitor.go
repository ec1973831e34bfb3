package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=podmonitors,verbs=get;list;watch;create;update;patch;delete

// CondMonitoring says whether the PodMonitor spec.metrics.podMonitor asks
// for is in place, or why it was skipped.
const CondMonitoring = "Monitoring"

// podMonitorGVK is the Prometheus Operator's PodMonitor. It is handled as
// unstructured: the kind may not exist in the cluster, and we need none of
// its Go types.
var podMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}

// podMonitor renders the PodMonitor for the member pods: the probe port's
// /metrics (ZooKeeper's metric names, ours, Raft's and etcd's WAL).
func (r render) podMonitor() *unstructured.Unstructured {
	pm := r.zke.Spec.Metrics.PodMonitor
	m := r.meta(r.n.statefulSet())
	labels := map[string]any{}
	for k, v := range m.Labels {
		labels[k] = v
	}
	for k, v := range pm.Labels {
		labels[k] = v
	}
	selector := map[string]any{}
	for k, v := range r.n.selector() {
		selector[k] = v
	}
	endpoint := map[string]any{"port": "probe", "path": "/metrics"}
	if pm.Interval != "" {
		endpoint["interval"] = pm.Interval
	}
	owner := m.OwnerReferences[0]
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{
			"name": m.Name, "namespace": m.Namespace, "labels": labels,
			"ownerReferences": []any{map[string]any{
				"apiVersion": owner.APIVersion, "kind": owner.Kind, "name": owner.Name, "uid": string(owner.UID),
				"controller": true, "blockOwnerDeletion": true,
			}},
		},
		"spec": map[string]any{
			"selector":            map[string]any{"matchLabels": selector},
			"podMetricsEndpoints": []any{endpoint},
		},
	}}
	u.SetGroupVersionKind(podMonitorGVK)
	return u
}

// reconcilePodMonitor creates, updates or removes the PodMonitor and sets
// the Monitoring condition. It never fails the pass: monitoring must not
// hold up the ensemble, and a cluster without the Prometheus Operator is a
// state to report, not an error to retry.
func (p *pass) reconcilePodMonitor(ctx context.Context) {
	pm := p.zke.Spec.Metrics.PodMonitor
	if pm == nil || !pm.Enabled {
		old := &unstructured.Unstructured{}
		old.SetGroupVersionKind(podMonitorGVK)
		old.SetName(p.n.statefulSet())
		old.SetNamespace(p.zke.Namespace)
		if err := p.r.Delete(ctx, old); err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
			p.setMonitoring(false, "PodMonitorFailed", fmt.Sprintf("removing the PodMonitor: %v", err))
			return
		}
		meta.RemoveStatusCondition(&p.zke.Status.Conditions, CondMonitoring)
		return
	}
	err := p.apply(ctx, p.rd.podMonitor(), fieldOwner)
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		// NotFound: the CRD went away after discovery had seen it.
		p.setMonitoring(false, "PodMonitorSkipped", fmt.Sprintf(
			"the cluster has no %s kind (the Prometheus Operator's CRDs are not installed): no PodMonitor; "+
				"every member still serves /metrics on port %d", podMonitorGVK.GroupVersion().WithResource("podmonitors").GroupResource().String(), podlayout.ProbePort))
	case err != nil:
		p.setMonitoring(false, "PodMonitorFailed", fmt.Sprintf("applying the PodMonitor: %v", err))
	default:
		p.setMonitoring(true, "PodMonitorCreated", fmt.Sprintf("PodMonitor %s scrapes the members' /metrics on port %d", p.n.statefulSet(), podlayout.ProbePort))
	}
}

func (p *pass) setMonitoring(ok bool, reason, msg string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&p.zke.Status.Conditions, metav1.Condition{Type: CondMonitoring, Status: status,
		Reason: reason, Message: msg, ObservedGeneration: p.zke.Generation})
}
