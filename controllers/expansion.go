package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// CondVolumesExpanded: every member volume has the size the spec asks for
// (False while expanding, or when its StorageClass cannot expand).
const CondVolumesExpanded = "VolumesExpanded"

// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=patch
// +kubebuilder:rbac:groups=storage.k8s.io,resources=storageclasses,verbs=get

// expandVolumes grows each member's claims to the spec's sizes (a claim
// template cannot change, so each claim is patched; never shrunk) when
// their StorageClass allows expansion, and says in the VolumesExpanded
// condition what it did or why it cannot.
func (p *pass) expandVolumes(ctx context.Context) {
	refused, expanding, err := p.growClaims(ctx)
	cond := metav1.Condition{Type: CondVolumesExpanded, Status: metav1.ConditionTrue, Reason: "AtRequestedSize",
		Message: "every member volume has the size the spec asks for", ObservedGeneration: p.zke.Generation}
	switch {
	case err != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ExpansionFailed", err.Error()
	case len(refused) > 0:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ExpansionNotAllowed", strings.Join(refused, "; ")
		p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, "ExpansionNotAllowed", "ExpandVolumes", "%s", cond.Message)
	case len(expanding) > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, "Expanding"
		cond.Message = "waiting for the volumes to grow: " + strings.Join(expanding, ", ")
	}
	meta.SetStatusCondition(&p.zke.Status.Conditions, cond)
}

// growClaims patches the claims smaller than the spec asks; it returns the
// refusals (claims whose class cannot expand, with how to fix it) and the
// claims still growing.
func (p *pass) growClaims(ctx context.Context) (refused, expanding []string, err error) {
	var list corev1.PersistentVolumeClaimList
	if err := p.r.List(ctx, &list, client.InNamespace(p.zke.Namespace), client.MatchingLabels(p.n.selector())); err != nil {
		return nil, nil, err
	}
	want := map[string]resource.Quantity{podlayout.VolumeData: p.zke.Spec.Storage.VolumeSize()}
	if p.zke.Spec.Storage.DataLog != nil {
		want[podlayout.VolumeDataLog] = p.zke.Spec.Storage.DataLogSize()
	}
	byClass := map[string][]string{}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for i := range list.Items {
		pvc := &list.Items[i]
		size, ok := want[p.claimTemplate(pvc.Name)]
		if !ok {
			continue
		}
		cur := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
		if cur.Cmp(size) >= 0 {
			if got, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok && got.Cmp(cur) < 0 {
				expanding = append(expanding, pvc.Name)
			}
			continue
		}
		class := ptrStr(pvc.Spec.StorageClassName)
		allowed, err := p.classExpands(ctx, class)
		if err != nil {
			return nil, nil, err
		}
		if !allowed {
			byClass[class] = append(byClass[class], fmt.Sprintf("%s (%s)", pvc.Name, &cur))
			continue
		}
		patch := client.MergeFrom(pvc.DeepCopy())
		pvc.Spec.Resources.Requests[corev1.ResourceStorage] = size
		if err := p.r.Patch(ctx, pvc, patch); err != nil {
			return nil, nil, fmt.Errorf("expand %s to %s: %w", pvc.Name, &size, err)
		}
		expanding = append(expanding, pvc.Name)
	}
	for class, pvcs := range byClass {
		refused = append(refused, fmt.Sprintf("StorageClass %q does not allow volume expansion, so %s keep their size: "+
			"set allowVolumeExpansion: true on the class if its provisioner can resize volumes, or set the size back", class, strings.Join(pvcs, ", ")))
	}
	sort.Strings(refused)
	return refused, expanding, nil
}

// claimTemplate is the template a member claim was made from, "" for
// claims not of this ensemble's StatefulSet.
func (p *pass) claimTemplate(pvc string) string {
	for _, t := range []string{podlayout.VolumeData, podlayout.VolumeDataLog} {
		for _, set := range []string{p.n.statefulSet(), p.n.observerSet()} {
			if rest, ok := strings.CutPrefix(pvc, t+"-"+set+"-"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				return t
			}
		}
	}
	return ""
}

// classExpands reads the StorageClass (not cached: the operator watches no
// cluster-wide objects) and reports whether it allows expansion.
func (p *pass) classExpands(ctx context.Context, class string) (bool, error) {
	if class == "" {
		return false, nil
	}
	var reader client.Reader = p.r.Client
	if p.r.APIReader != nil {
		reader = p.r.APIReader
	}
	sc := &storagev1.StorageClass{}
	if err := reader.Get(ctx, types.NamespacedName{Name: class}, sc); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion, nil
}

func ptrStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
