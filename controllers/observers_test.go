package controllers

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// TestObserverRendering: the observers' StatefulSet is the voters' pod
// template with its own name, selector, label and --observer; the budget
// selects voters only; the Services select both.
func TestObserverRendering(t *testing.T) {
	zke := newZKE("ns", "zk", func(z *zkv1.ZKEnsemble) {
		z.Spec.Observers = 2
		z.Spec.Pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	})
	rd := newRender(zke, "img", defaultClusterDomain)
	voters, observers := rd.statefulSet(3), rd.observerStatefulSet(2, nil)
	if observers.Name != "zk-observer" || *observers.Spec.Replicas != 2 || observers.Spec.ServiceName != voters.Spec.ServiceName {
		t.Fatalf("observer StatefulSet %s replicas %d service %s", observers.Name, *observers.Spec.Replicas, observers.Spec.ServiceName)
	}
	if !slices.Contains(observers.Spec.Template.Spec.Containers[0].Args, "--"+podlayout.FlagObserver) ||
		slices.Contains(voters.Spec.Template.Spec.Containers[0].Args, "--"+podlayout.FlagObserver) {
		t.Fatal("--observer must be on the observers' pods only")
	}
	if len(observers.Spec.Template.Spec.ImagePullSecrets) != 1 {
		t.Fatal("pod settings do not reach the observers")
	}
	voterPod := labels.Set(voters.Spec.Template.Labels)
	observerPod := labels.Set(observers.Spec.Template.Labels)
	sel := func(s *v1.LabelSelector) labels.Selector {
		x, err := v1.LabelSelectorAsSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		what     string
		selector labels.Selector
		voter    bool
		observer bool
	}{
		{"voters' StatefulSet", sel(voters.Spec.Selector), true, true}, // a StatefulSet claims only pods named for it
		{"observers' StatefulSet", sel(observers.Spec.Selector), false, true},
		{"disruption budget", sel(rd.pdb(3).Spec.Selector), true, false},
		{"client Service", labels.SelectorFromSet(rd.clientService().Spec.Selector), true, true},
		{"peer Service", labels.SelectorFromSet(rd.peerService().Spec.Selector), true, true},
	} {
		if got := tc.selector.Matches(voterPod); got != tc.voter {
			t.Errorf("%s selects voter pods: %v, want %v", tc.what, got, tc.voter)
		}
		if got := tc.selector.Matches(observerPod); got != tc.observer {
			t.Errorf("%s selects observer pods: %v, want %v", tc.what, got, tc.observer)
		}
	}
}

// TestObserverStatus: observers are counted apart and shown with their role.
func TestObserverStatus(t *testing.T) {
	zke := newZKE("ns", "zk", func(z *zkv1.ZKEnsemble) { z.Spec.Observers = 1 })
	ready := func(id uint64) membership.Pod { return membership.Pod{ID: id, Exists: true, Ready: true} }
	o := membership.Observation{Desired: 1, Replicas: 1, Pods: map[uint64]membership.Pod{1: ready(1), 128: ready(128)},
		Leader: &adminapi.Status{ID: 1, Role: adminapi.RoleLeader, LeaderID: 1, Members: []adminapi.Member{
			{ID: 1, Role: adminapi.RoleLeader, Active: true}, {ID: 128, Role: adminapi.RoleLearner, Active: true}}}}
	st := computeStatus(zke, names{zke, defaultClusterDomain}, o, membership.Step{Action: membership.Done}, nil, nil)
	if st.ReadyMembers != 1 || st.ReadyObservers != 1 || st.VotingMembers != 1 {
		t.Fatalf("ready %d observers %d voting %d", st.ReadyMembers, st.ReadyObservers, st.VotingMembers)
	}
	if m := st.Members[1]; m.Role != "observer" || m.Pod != "zk-observer-0" {
		t.Fatalf("observer shown as %+v", m)
	}
}
