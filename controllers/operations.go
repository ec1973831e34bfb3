package controllers

import (
	"context"
	"encoding/json"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/membership"
)

// The operations a person asks for with annotations on the ZKEnsemble
// (kubectl zke restart, kubectl zke switchover; api/v1alpha1's
// zkensemble_operations.go).

// copyRestartedAt carries the ensemble's restartedAt annotation to the pod
// template: a new value makes a new StatefulSet revision, which the planner
// rolls as any other (followers first, the leader last after a handover).
func copyRestartedAt(zke *zkv1.ZKEnsemble, podAnnotations map[string]string) {
	if v, ok := zke.Annotations[zkv1.RestartedAtAnnotation]; ok {
		podAnnotations[zkv1.RestartedAtAnnotation] = v
	}
}

// requested turns a settled pass (the planner's step is Done) into the
// switchover the ensemble's annotation asks for, if any. The annotation is
// removed once the member leads or when the request cannot be met.
func (p *pass) requested(ctx context.Context, planned membership.Step) (membership.Step, error) {
	v, ok := p.zke.Annotations[zkv1.SwitchoverToAnnotation]
	if !ok || planned.Action != membership.Done {
		return planned, nil
	}
	to, err := strconv.ParseUint(v, 10, 8)
	if err != nil || to == 0 {
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "SwitchoverRefused", "Switchover",
			"%s=%q is not a member id (1-255): annotation removed", zkv1.SwitchoverToAnnotation, v)
		return planned, p.clearAnnotation(ctx, zkv1.SwitchoverToAnnotation)
	}
	s := membership.Switchover(p.obs, to)
	switch s.Action {
	case membership.Done:
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeNormal, "SwitchoverDone", "Switchover", "member %d leads", to)
		return planned, p.clearAnnotation(ctx, zkv1.SwitchoverToAnnotation)
	case membership.Refuse:
		// Nothing is wrong with the ensemble: the request is dropped, with
		// the reason in an event (kubectl zke switchover checks first).
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "SwitchoverRefused", "Switchover", "%s: annotation removed", s.Reason)
		return planned, p.clearAnnotation(ctx, zkv1.SwitchoverToAnnotation)
	}
	return s, nil
}

// clearAnnotation removes one annotation from the ensemble (a merge patch of
// the metadata only: the pass's status write is separate).
func (p *pass) clearAnnotation(ctx context.Context, key string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: nil}}})
	if err != nil {
		return err
	}
	obj := &zkv1.ZKEnsemble{}
	obj.Name, obj.Namespace = p.zke.Name, p.zke.Namespace
	return client.IgnoreNotFound(p.r.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)))
}
