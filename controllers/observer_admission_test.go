package controllers

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// TestMemberCountAdmission: replicas and observers stay inside their
// member id ranges (voters 1..127, observers from 128); the webhook's Go
// rules, the CRD's CEL rules alone, and both together agree, and each
// refusal says how to fix it.
func TestMemberCountAdmission(t *testing.T) {
	if testEnv == nil {
		t.Skip("envtest assets (kube-apiserver, etcd) not available")
	}
	tests := []struct {
		name                string
		replicas, observers int32
		refused             bool
		cel, webhook        string
	}{
		{name: "3 voters, 2 observers", replicas: 3, observers: 2},
		{name: "127 voters, 127 observers", replicas: 127, observers: 127},
		{name: "128 voters", replicas: 128, refused: true,
			cel: "lower replicas; for more read capacity add observers", webhook: "lower replicas; for more read capacity add observers"},
		{name: "128 observers", replicas: 3, observers: 128, refused: true,
			cel: "observers is at most 127", webhook: "lower observers"},
		{name: "negative observers", replicas: 3, observers: -1, refused: true,
			cel: "spec.observers", webhook: "lower observers"},
	}
	ctx := context.Background()
	celOnly := bareEnv(t)
	celNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-counts-"}}
	if err := celOnly.client.Create(ctx, celNS); err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zke := newZKE(ns, "counts", func(z *zkv1.ZKEnsemble) { z.Spec.Replicas, z.Spec.Observers = tc.replicas, tc.observers })
			errs, _ := zke.Spec.Validate()
			if hook := errs.ToAggregate(); (hook != nil) != tc.refused || hook != nil && !strings.Contains(hook.Error(), tc.webhook) {
				t.Fatalf("webhook rules: %v; want refused=%v saying %q", hook, tc.refused, tc.webhook)
			}
			cel := zke.DeepCopy()
			cel.Namespace = celNS.Name
			err := celOnly.client.Create(ctx, cel, client.DryRunAll)
			if (err != nil) != tc.refused || err != nil && !strings.Contains(err.Error(), tc.cel) {
				t.Fatalf("CEL rules: %v; want refused=%v saying %q", err, tc.refused, tc.cel)
			}
			err = testEnv.client.Create(ctx, zke.DeepCopy(), client.DryRunAll)
			if (err != nil) != tc.refused {
				t.Fatalf("API server with the webhook: %v; want refused=%v", err, tc.refused)
			}
		})
	}
}
