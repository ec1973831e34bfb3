package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Condition types.
const (
	// Available: a quorum of voters serves.
	CondAvailable = "Available"
	// Progressing: a step toward the spec is under way (its reason and message say which).
	CondProgressing = "Progressing"
	// Degraded: a voter does not answer, or a step was refused or failed.
	CondDegraded = "Degraded"
)

// Phases shown in `kubectl get zke`.
const (
	PhaseCreating    = "Creating"
	PhaseRunning     = "Running"
	PhaseScaling     = "Scaling"
	PhaseUpdating    = "Updating"
	PhaseDegraded    = "Degraded"
	PhaseUnavailable = "Unavailable"
)

// computeStatus derives the status from one observation and the step taken.
func computeStatus(zke *zkv1.ZKEnsemble, n names, o membership.Observation, s membership.Step, stepErr error, servers map[string]string) zkv1.ZKEnsembleStatus {
	st := zkv1.ZKEnsembleStatus{
		ObservedGeneration: zke.Generation,
		Conditions:         append([]metav1.Condition(nil), zke.Status.Conditions...),
		Selector:           labelSelector(n.selector()),
		Bootstrap:          zke.Status.Bootstrap, // bootstrap.go's
	}
	for _, p := range o.Pods {
		switch {
		case !p.Ready:
		case podlayout.IsObserverID(p.ID):
			st.ReadyObservers++
		default:
			st.ReadyMembers++
		}
	}
	gen := zke.Generation
	set := func(typ string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	var voters, healthy int
	if l := o.Leader; l != nil {
		st.Leader = n.pod(l.ID)
		st.ConfigVersion = fmt.Sprintf("%#x", l.ConfigVersion)
		for _, m := range l.Members {
			ms := zkv1.MemberStatus{ID: int32(m.ID), Pod: n.pod(m.ID), Address: m.ClientAddr, Role: string(m.Role), Lag: int64(m.Lag)}
			if m.Role == adminapi.RoleLearner && podlayout.IsObserverID(m.ID) {
				ms.Role = roleObserver
			}
			if p, ok := o.Pods[m.ID]; ok && p.Admin != nil {
				ms.Zxid = fmt.Sprintf("%#x", p.Admin.Zxid)
			}
			if m.Role != adminapi.RoleLearner {
				voters++
				if m.Active || m.ID == l.ID {
					healthy++
				}
			}
			st.Members = append(st.Members, ms)
		}
		sort.Slice(st.Members, func(i, j int) bool { return st.Members[i].ID < st.Members[j].ID })
	}
	st.VotingMembers = int32(voters)
	if servers != nil {
		st.ConnectString = servers[keyConnectString]
		st.SecureConnectString = servers[keySecureConnectString]
		_, _ = fmt.Sscan(servers[keyVersion], &st.ServerListVersion) // absent or garbled: 0
	}

	available := o.Leader != nil && healthy >= voters/2+1
	if available {
		set(CondAvailable, true, "QuorumServing", fmt.Sprintf("%d of %d voters answer the leader %s", healthy, voters, st.Leader))
	} else {
		set(CondAvailable, false, "NoQuorum", s.Reason)
	}
	switch s.Action {
	case membership.Done:
		set(CondProgressing, false, "Reconciled", s.Reason)
	case membership.Refuse:
		set(CondProgressing, false, "StepRefused", s.Reason)
	default:
		set(CondProgressing, true, string(s.Action), s.Reason)
	}
	switch {
	case stepErr != nil:
		set(CondDegraded, true, "StepFailed", fmt.Sprintf("%s: %v", s.Reason, stepErr))
	case s.Action == membership.Refuse:
		set(CondDegraded, true, "StepRefused", s.Reason)
	case o.Leader != nil && healthy < voters:
		set(CondDegraded, true, "MembersDown", fmt.Sprintf("%d of %d voters do not answer the leader", voters-healthy, voters))
	case o.Leader == nil && o.Replicas > 0 && zke.Status.ConnectString != "":
		set(CondDegraded, true, "NoLeader", s.Reason)
	default:
		set(CondDegraded, false, "Healthy", "every voter answers the leader")
	}

	switch {
	case !available && st.ConnectString == "":
		st.Phase = PhaseCreating
	case !available:
		st.Phase = PhaseUnavailable
	case s.Action == membership.RestartPod || (s.Action == membership.TransferLeadership && voters == int(zke.Spec.Replicas)):
		st.Phase = PhaseUpdating
	case s.Action != membership.Done && s.Action != membership.Refuse && (voters != int(zke.Spec.Replicas) || s.Action != membership.Wait):
		st.Phase = PhaseScaling
	case meta.IsStatusConditionTrue(st.Conditions, CondDegraded):
		st.Phase = PhaseDegraded
	default:
		st.Phase = PhaseRunning
	}
	return st
}

func labelSelector(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// report puts the status the pass arrived at into p.zke.Status: what it
// observed and the step it took (or failed to take).
func (p *pass) report(s membership.Step, stepErr error) {
	var servers map[string]string
	if p.servers != nil {
		servers = p.servers.Data
	}
	p.zke.Status = computeStatus(p.zke, p.n, p.obs, s, stepErr, servers)
	p.reportRecovery(s)
}

// fail records an error that stopped the pass before a step as the
// Degraded condition, with reason, and returns err.
func (p *pass) fail(reason string, err error) error {
	meta.SetStatusCondition(&p.zke.Status.Conditions, metav1.Condition{Type: CondDegraded, Status: metav1.ConditionTrue,
		Reason: reason, Message: err.Error(), ObservedGeneration: p.zke.Generation})
	return err
}

// patchStatus is the pass's one status write: a JSON merge patch of what
// changed between the object as read and p.zke, sent to the status
// subresource, nothing when nothing changed. It carries no resourceVersion
// (no optimistic lock, as Cluster API's patch helper): fields the pass did
// not change are not in it, so it cannot reset them. A list (conditions) is
// replaced whole; the operator is the status's only writer and
// controller-runtime never reconciles one object in two passes at once, so
// the list it sends is complete. A pass that read a cached object older than
// the last write is corrected by the pass that write wakes, which reads it.
func (p *pass) patchStatus(ctx context.Context) error {
	if equality.Semantic.DeepEqual(p.read.Status, p.zke.Status) {
		return nil
	}
	return client.IgnoreNotFound(p.r.Status().Patch(ctx, p.zke, client.MergeFrom(p.read)))
}
