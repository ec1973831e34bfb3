package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Recovery after losing a majority (pkg/membership, recovery.go): the
// status says so (QuorumLost) and no membership step runs until the user
// names a survivor with zkv1.ForceNewClusterAnnotation. The operator then
// writes a force-new-cluster request for it into the configuration
// ConfigMap (podlayout.ForceNewClusterFile), restarts its pod, which rebuilds
// the ensemble as its only voter, and once it leads withdraws the request;
// the usual steps add the other members again. Progress is in
// status.recovery, so a restarted operator resumes.

// Condition types of a recovery.
const (
	// CondQuorumLost: a majority of the voters lost their logs for good.
	CondQuorumLost = "QuorumLost"
	// CondRecovering: the ensemble is being rebuilt from a survivor.
	CondRecovering = "Recovering"
)

// recoveryOwner is the field manager of the request in the configuration ConfigMap.
const recoveryOwner = "zkensemble-operator/recovery"

// recoveryState is a pass's view of a recovery.
type recoveryState struct {
	loss     *membership.Loss
	status   *zkv1.RecoveryStatus // what the status will record
	finished bool                 // this pass finished one
}

// noLeaderFor is how long the ensemble has had no leader, from the
// Available condition's last transition (0 with a leader).
func noLeaderFor(zke *zkv1.ZKEnsemble, hasLeader bool) time.Duration {
	c := meta.FindStatusCondition(zke.Status.Conditions, CondAvailable)
	if hasLeader || c == nil || c.Status != metav1.ConditionFalse {
		return 0
	}
	return time.Since(c.LastTransitionTime.Time)
}

// planStep is the pass's step: a recovery's when a majority is lost, one is
// asked for or under way, else the usual plan.
func (p *pass) planStep() membership.Step {
	p.rec.loss = membership.QuorumLoss(p.obs)
	p.rec.status = p.zke.Status.Recovery.DeepCopy()
	var prog *membership.RecoveryProgress
	if s := p.rec.status; s != nil {
		prog = &membership.RecoveryProgress{Member: uint64(s.Member), Restarted: s.Restarted}
	}
	var req *membership.RecoveryRequest
	if v, ok := p.zke.Annotations[zkv1.ForceNewClusterAnnotation]; ok && prog == nil {
		r, err := membership.ParseRecoveryRequest(v)
		if err != nil {
			return membership.Step{Action: membership.Refuse, Reason: fmt.Sprintf("annotation %s: %v", zkv1.ForceNewClusterAnnotation, err)}
		}
		req = &r
	}
	return membership.PlanRecovery(p.obs, p.rec.loss, req, prog)
}

// executeRecovery does a recovery step.
func (p *pass) executeRecovery(ctx context.Context, s membership.Step) error {
	switch s.Action {
	case membership.ForceNewCluster:
		request := fmt.Sprintf("%s/%d/%s", p.zke.UID, s.Member, strconv.FormatInt(time.Now().UnixNano(), 36))
		var applied int64
		if a := p.obs.Pods[s.Member].Admin; a != nil {
			applied = int64(a.AppliedIndex)
		}
		if err := p.applyForceRequest(ctx, request); err != nil {
			return err
		}
		p.rec.status = &zkv1.RecoveryStatus{Member: int32(s.Member), Request: request, AppliedIndex: applied}
	case membership.RestartSurvivor:
		if pod, ok := p.pods[s.Member]; ok {
			if err := client.IgnoreNotFound(p.r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID})); err != nil {
				return err
			}
		}
		p.rec.status.Restarted = true
	case membership.FinishRecovery:
		if err := p.dropAnnotation(ctx); err != nil {
			return err
		}
		if err := p.applyForceRequest(ctx, ""); err != nil {
			return err
		}
		p.rec.status, p.rec.finished = nil, true
	case membership.DropRecoveryRequest:
		return p.dropAnnotation(ctx)
	}
	return nil
}

// applyForceRequest writes the request into the configuration ConfigMap
// ("" withdraws it), under its own field manager.
func (p *pass) applyForceRequest(ctx context.Context, request string) error {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: p.n.config(), Namespace: p.zke.Namespace},
	}
	if request != "" {
		cm.Data = map[string]string{podlayout.ForceNewClusterFile: request}
	}
	return p.apply(ctx, cm, recoveryOwner)
}

func (p *pass) dropAnnotation(ctx context.Context) error {
	if _, ok := p.zke.Annotations[zkv1.ForceNewClusterAnnotation]; !ok {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{zkv1.ForceNewClusterAnnotation: nil}}})
	obj := &zkv1.ZKEnsemble{ObjectMeta: metav1.ObjectMeta{Name: p.zke.Name, Namespace: p.zke.Namespace}}
	return client.IgnoreNotFound(p.r.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)))
}

// reportRecovery adds the recovery's conditions and progress to the status
// the pass arrived at (after computeStatus).
func (p *pass) reportRecovery(s membership.Step) {
	st := &p.zke.Status
	st.Recovery = p.rec.status
	gen := p.zke.Generation
	set := func(typ string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	if l := p.rec.loss; l != nil {
		if !meta.IsStatusConditionTrue(p.read.Status.Conditions, CondQuorumLost) {
			p.r.Recorder.Eventf(p.zke, nil, corev1.EventTypeWarning, CondQuorumLost, "Observe", "%s", l.Message(p.annotateCommand()))
		}
		set(CondQuorumLost, true, "MajorityLost", l.Message(p.annotateCommand()))
	} else if meta.FindStatusCondition(st.Conditions, CondQuorumLost) != nil {
		set(CondQuorumLost, false, "NoLoss", "a majority of the voters holds its log, or a leader serves")
	}
	switch {
	case p.rec.status != nil:
		set(CondRecovering, true, string(s.Action), fmt.Sprintf("rebuilding from member %d (applied index %d when chosen): %s", p.rec.status.Member, p.rec.status.AppliedIndex, s.Reason))
	case p.rec.finished:
		set(CondRecovering, false, "Recovered", s.Reason)
	}
}

// annotateCommand is the command that asks for a recovery, with %s for the member.
func (p *pass) annotateCommand() string {
	return fmt.Sprintf("kubectl annotate zkensemble %s -n %s %s=%%s", p.zke.Name, p.zke.Namespace, zkv1.ForceNewClusterAnnotation)
}
