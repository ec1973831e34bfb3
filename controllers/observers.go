package controllers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Observers (spec.observers) run in a StatefulSet of their own,
// <name>-observer, whose pods are members podlayout.ObserverID(ordinal):
// the same pod template, their own volumes, one more label. The planner
// scales it (SetObserverReplicas); the PodDisruptionBudget covers voters
// only; the peer and client Services select both.

// roleLabel marks observer pods; voter pods do not carry it.
const (
	roleLabel    = "zookeeper.zkensemble.io/member-role"
	roleObserver = "observer"
	keyObservers = "observers" // the published list's observer ids
)

func (n names) observerSet() string { return n.zke.Name + podlayout.ObserverSetSuffix }

func (n names) observerSelector() map[string]string {
	s := n.selector()
	s[roleLabel] = roleObserver
	return s
}

// voterSelector selects the voters' pods only (the disruption budget's).
func (n names) voterSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: n.selector(), MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: roleLabel, Operator: metav1.LabelSelectorOpDoesNotExist},
	}}
}

// observerStatefulSet is the voters' StatefulSet made the observers': its
// name, its selector and pods labelled as observers, its own claims.
func (r render) observerStatefulSet(replicas int32, claims []corev1.PersistentVolumeClaim) *appsv1.StatefulSet {
	r.claims = claims
	sts := r.statefulSet(replicas)
	sts.Name = r.n.observerSet()
	sts.Spec.Selector = &metav1.LabelSelector{MatchLabels: r.n.observerSelector()}
	sts.Spec.Template.Labels[roleLabel] = roleObserver
	c := &sts.Spec.Template.Spec.Containers[0]
	c.Args = append(c.Args, "--"+podlayout.FlagObserver)
	return sts
}

// applyObserverSet applies the observers' StatefulSet at its current replica
// count (created once observers are asked for) and records that count.
func (p *pass) applyObserverSet(ctx context.Context) error {
	cur := &appsv1.StatefulSet{}
	err := p.r.Get(ctx, types.NamespacedName{Namespace: p.zke.Namespace, Name: p.n.observerSet()}, cur)
	switch {
	case apierrors.IsNotFound(err):
		p.observerReplicas, p.observerSts = 0, nil
		if p.zke.Spec.Observers == 0 {
			return nil
		}
		p.observerClaims = nil
	case err != nil:
		return err
	default:
		p.observerReplicas = ptrOr(cur.Spec.Replicas, 0)
		p.observerClaims = cur.Spec.VolumeClaimTemplates
	}
	return p.setObserverReplicas(ctx, p.observerReplicas)
}

// setObserverReplicas applies the observers' StatefulSet with n pods, their
// certificates first.
func (p *pass) setObserverReplicas(ctx context.Context, n int32) error {
	p.observerReplicas = n
	if err := p.ensureMemberCerts(ctx, p.ca, p.certIDs); err != nil {
		return err
	}
	sts := p.rd.observerStatefulSet(n, p.observerClaims)
	if err := p.apply(ctx, sts, fieldOwner); err != nil {
		return fmt.Errorf("apply StatefulSet %s: %w", sts.Name, err)
	}
	p.observerSts = sts
	return nil
}

// observerCertIDs are the observer ids that have certificates: those the
// spec asks for and those whose pods still run.
func (p *pass) observerCertIDs() []uint64 {
	var ids []uint64
	for ord := range max(p.zke.Spec.Observers, p.observerReplicas) {
		ids = append(ids, podlayout.ObserverID(int(ord)))
	}
	return ids
}

// publishedObservers reads the observer ids of the published list.
func publishedObservers(data map[string]string) []uint64 {
	var ids []uint64
	for _, f := range strings.Split(data[keyObservers], ",") {
		if id, err := strconv.ParseUint(strings.TrimSpace(f), 10, 8); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
