package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// TestVolumeExpansion: raising storage.size patches each member's claim
// when its StorageClass allows expansion, and leaves the claims alone with
// a VolumesExpanded=False condition that names the class and the fix when
// it does not. No StatefulSet controller runs under envtest, so the test
// makes the members' claims itself (bound, as only bound claims resize).
func TestVolumeExpansion(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	tests := []struct {
		name      string
		expands   bool
		reason    string
		wantSize  string
		wantWords []string
	}{
		{"grow", true, "Expanding", "3Gi", []string{"data-grow-0", "data-grow-1"}},
		{"fixed", false, "ExpansionNotAllowed", "1Gi", []string{`StorageClass "zke-fixed-`, "allowVolumeExpansion: true", "data-fixed-0 (1Gi)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-" + tc.name + "-"},
				Provisioner: "example.com/none", AllowVolumeExpansion: ptr.To(tc.expands)}
			if err := c.Create(ctx, class); err != nil {
				t.Fatal(err)
			}
			one := resource.MustParse("1Gi")
			zke := newZKE(ns, tc.name, func(z *zkv1.ZKEnsemble) {
				z.Spec.Storage = zkv1.StorageSpec{Size: &one, StorageClassName: &class.Name}
			})
			if err := c.Create(ctx, zke); err != nil {
				t.Fatal(err)
			}
			for ord := range 2 {
				boundClaim(t, ctx, ns, fmt.Sprintf("data-%s-%d", tc.name, ord), class.Name, zke)
			}
			key := types.NamespacedName{Namespace: ns, Name: tc.name}
			if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				z := &zkv1.ZKEnsemble{}
				if err := c.Get(ctx, key, z); err != nil {
					return err
				}
				q := resource.MustParse("3Gi")
				z.Spec.Storage.Size = &q
				return c.Update(ctx, z)
			}); err != nil {
				t.Fatal(err)
			}
			eventually(t, 20*time.Second, func() error {
				z := &zkv1.ZKEnsemble{}
				if err := c.Get(ctx, key, z); err != nil {
					return err
				}
				cond := meta.FindStatusCondition(z.Status.Conditions, CondVolumesExpanded)
				if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != tc.reason {
					return fmt.Errorf("condition %+v", cond)
				}
				for _, w := range tc.wantWords {
					if !strings.Contains(cond.Message, w) {
						return fmt.Errorf("message %q lacks %q", cond.Message, w)
					}
				}
				return nil
			})
			want := resource.MustParse(tc.wantSize)
			for ord := range 2 {
				pvc := &corev1.PersistentVolumeClaim{}
				if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("data-%s-%d", tc.name, ord)}, pvc); err != nil {
					t.Fatal(err)
				}
				if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(want) != 0 {
					t.Errorf("%s requests %s; want %s", pvc.Name, &got, &want)
				}
			}
		})
	}
}

// boundClaim makes a member's claim as the StatefulSet controller would,
// bound with 1Gi (the status a provisioner would write).
func boundClaim(t *testing.T, ctx context.Context, ns, name, class string, zke *zkv1.ZKEnsemble) {
	t.Helper()
	n := names{zke, defaultClusterDomain}
	one := resource.MustParse("1Gi")
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: n.selector()},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, StorageClassName: &class,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: one}},
		},
	}
	if err := testEnv.client.Create(ctx, pvc); err != nil {
		t.Fatal(err)
	}
	pvc.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, AccessModes: pvc.Spec.AccessModes,
		Capacity: corev1.ResourceList{corev1.ResourceStorage: one}}
	if err := testEnv.client.Status().Update(ctx, pvc); err != nil {
		t.Fatal(err)
	}
}
