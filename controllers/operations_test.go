package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/membership"
)

// TestRestartedAtRollsTemplate: the ensemble's restartedAt annotation is on
// the members' pod template, and a new value changes the template (a new
// revision for the planner to roll).
func TestRestartedAtRollsTemplate(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "restart", func(z *zkv1.ZKEnsemble) {
		z.Annotations = map[string]string{zkv1.RestartedAtAnnotation: "2026-01-01T00:00:00Z"}
	})
	if err := c.Create(ctx, zke); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: "restart"}
	templateAt := func(want string) func() error {
		return func() error {
			sts := &appsv1.StatefulSet{}
			if err := c.Get(ctx, key, sts); err != nil {
				return err
			}
			if got := sts.Spec.Template.Annotations[zkv1.RestartedAtAnnotation]; got != want {
				return fmt.Errorf("pod template %s = %q, want %q", zkv1.RestartedAtAnnotation, got, want)
			}
			return nil
		}
	}
	eventually(t, 20*time.Second, templateAt("2026-01-01T00:00:00Z"))
	patch := []byte(`{"metadata":{"annotations":{"` + zkv1.RestartedAtAnnotation + `":"2026-01-02T00:00:00Z"}}}`)
	if err := c.Patch(ctx, zke, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, templateAt("2026-01-02T00:00:00Z"))
}

// TestSwitchoverAnnotation: a settled pass turns the switchover annotation
// into a handover while another member leads, and removes the annotation
// once the member leads or when it names no member it can hand over to.
func TestSwitchoverAnnotation(t *testing.T) {
	e := bareEnv(t)
	ctx := context.Background()
	members := []adminapi.Member{
		{ID: 1, Role: adminapi.RoleLeader, Active: true},
		{ID: 2, Role: adminapi.RoleFollower, Active: true},
		{ID: 3, Role: adminapi.RoleFollower, Active: true},
		{ID: 4, Role: adminapi.RoleLearner, Active: true},
	}
	settled := membership.Step{Action: membership.Done}
	tests := []struct {
		name      string
		value     string
		leader    uint64
		planned   membership.Step
		action    membership.Action
		keepsNote bool
	}{
		{name: "hand over", value: "3", leader: 1, planned: settled, action: membership.TransferLeadership, keepsNote: true},
		{name: "not while the planner works", value: "3", leader: 1, planned: membership.Step{Action: membership.RestartPod, Member: 2}, action: membership.RestartPod, keepsNote: true},
		{name: "done once it leads", value: "3", leader: 3, planned: settled, action: membership.Done},
		{name: "a learner cannot lead", value: "4", leader: 1, planned: settled, action: membership.Done},
		{name: "not a member", value: "9", leader: 1, planned: settled, action: membership.Done},
		{name: "not an id", value: "three", leader: 1, planned: settled, action: membership.Done},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zke := bareEnsemble(t, e, "switch")
			if err := updateFresh(ctx, e.client, zke, func() {
				zke.Annotations = map[string]string{zkv1.SwitchoverToAnnotation: tc.value}
			}); err != nil {
				t.Fatal(err)
			}
			p := newPassRig(t, e).r.newPass(zke)
			p.obs = membership.Observation{Desired: 3, Replicas: 3, Leader: &adminapi.Status{ID: tc.leader, Role: adminapi.RoleLeader, LeaderID: tc.leader, Members: members}}
			s, err := p.requested(ctx, tc.planned)
			if err != nil {
				t.Fatal(err)
			}
			if s.Action != tc.action {
				t.Fatalf("step %+v, want %s", s, tc.action)
			}
			if s.Action == membership.TransferLeadership && (s.Member != 1 || s.To != 3) {
				t.Fatalf("transfer %d -> %d, want 1 -> 3", s.Member, s.To)
			}
			cur := &zkv1.ZKEnsemble{}
			if err := e.client.Get(ctx, client.ObjectKeyFromObject(zke), cur); err != nil {
				t.Fatal(err)
			}
			if _, kept := cur.Annotations[zkv1.SwitchoverToAnnotation]; kept != tc.keepsNote {
				t.Fatalf("annotation kept: %t, want %t", kept, tc.keepsNote)
			}
		})
	}
}
