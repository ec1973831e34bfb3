package controllers

import (
	"context"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// observe reads the pods and asks every member for its status, once per
// pass, into p.obs: the plan, the step and the status all use it.
func (p *pass) observe(ctx context.Context) error {
	var list corev1.PodList
	if err := p.r.List(ctx, &list, client.InNamespace(p.zke.Namespace), client.MatchingLabels(p.n.selector())); err != nil {
		return err
	}
	p.pods = map[uint64]*corev1.Pod{}
	pods := map[uint64]membership.Pod{}
	for i := range list.Items {
		pod := &list.Items[i]
		name, id, err := podlayout.ParsePod(pod.Name, pod.Labels[roleLabel] == roleObserver)
		if err != nil || name != p.zke.Name {
			continue
		}
		revision := p.sts.Status.UpdateRevision
		if podlayout.IsObserverID(id) {
			revision = ""
			if p.observerSts != nil {
				revision = p.observerSts.Status.UpdateRevision
			}
		}
		p.pods[id] = pod
		pods[id] = membership.Pod{
			ID:          id,
			Exists:      pod.DeletionTimestamp.IsZero(),
			Ready:       podReady(pod) && pod.DeletionTimestamp.IsZero(), // a pod being deleted is on its way out
			NotReadyFor: notReadyFor(pod),
			UpToDate:    revision == "" || pod.Labels[appsv1.ControllerRevisionHashLabelKey] == revision,
		}
	}
	ens, err := p.ensemble()
	if err != nil {
		return err
	}
	pods, leader := ens.Observe(ctx, pods)
	o := membership.Observation{Desired: int(p.zke.Spec.Replicas), Replicas: int(p.replicas), Pods: pods, Leader: leader,
		NoLeaderFor:      noLeaderFor(p.zke, leader != nil),
		DesiredObservers: int(p.zke.Spec.Observers), ObserverReplicas: int(p.observerReplicas)}
	if p.servers != nil {
		for _, f := range strings.Fields(strings.ReplaceAll(p.servers.Data[keyMembers], ",", " ")) {
			if id, err := strconv.ParseUint(f, 10, 8); err == nil {
				o.Published = append(o.Published, id)
			}
		}
		o.PublishedVersion, _ = strconv.ParseInt(p.servers.Data[keyVersion], 10, 64)
		o.PublishedObservers = publishedObservers(p.servers.Data)
	}
	p.obs = o
	return nil
}

// notReadyFor is how long the pod has not been ready (0 when it is).
func notReadyFor(pod *corev1.Pod) time.Duration {
	since := pod.CreationTimestamp.Time
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			if c.Status == corev1.ConditionTrue {
				return 0
			}
			since = c.LastTransitionTime.Time
		}
	}
	return time.Since(since)
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
