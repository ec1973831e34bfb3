package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/membership"
)

func TestNoLeaderFor(t *testing.T) {
	since := func(d time.Duration, status metav1.ConditionStatus) []metav1.Condition {
		return []metav1.Condition{{Type: CondAvailable, Status: status, LastTransitionTime: metav1.NewTime(time.Now().Add(-d))}}
	}
	for _, tc := range []struct {
		name      string
		conds     []metav1.Condition
		hasLeader bool
		min, max  time.Duration
	}{
		{name: "no condition yet"},
		{name: "available", conds: since(time.Hour, metav1.ConditionTrue)},
		{name: "a leader now", conds: since(time.Hour, metav1.ConditionFalse), hasLeader: true},
		{name: "unavailable for a minute", conds: since(time.Minute, metav1.ConditionFalse), min: time.Minute, max: time.Minute + 10*time.Second},
	} {
		zke := &zkv1.ZKEnsemble{Status: zkv1.ZKEnsembleStatus{Conditions: tc.conds}}
		if got := noLeaderFor(zke, tc.hasLeader); got < tc.min || got > tc.max {
			t.Errorf("%s: %s, want %s..%s", tc.name, got, tc.min, tc.max)
		}
	}
}

// TestPlanStepReadsRequestAndProgress: a garbled annotation is refused
// with a message naming it; a recovery recorded in the status goes on
// (after an operator restart) whatever the annotation says.
func TestPlanStepReadsRequestAndProgress(t *testing.T) {
	obs := membership.Observation{Desired: 3, Replicas: 3, Pods: map[uint64]membership.Pod{}}
	p := &pass{zke: &zkv1.ZKEnsemble{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{zkv1.ForceNewClusterAnnotation: "two"}}}, obs: obs}
	if s := p.planStep(); s.Action != membership.Refuse || !strings.Contains(s.Reason, zkv1.ForceNewClusterAnnotation) {
		t.Fatalf("garbled annotation: %s", s)
	}
	p = &pass{zke: &zkv1.ZKEnsemble{Status: zkv1.ZKEnsembleStatus{Recovery: &zkv1.RecoveryStatus{Member: 2, Request: "u/2/n"}}}, obs: obs}
	if s := p.planStep(); s.Action != membership.RestartSurvivor || s.Member != 2 || p.rec.status == nil || p.rec.status.Request != "u/2/n" {
		t.Fatalf("recorded recovery: %s, %+v", s, p.rec.status)
	}
}
