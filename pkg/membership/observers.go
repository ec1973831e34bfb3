package membership

import (
	"fmt"
	"slices"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// Observers are learners whose ids are in podlayout's observer range: they
// are added as learners, never promoted, never counted toward a quorum, and
// removed on scale-down without a quorum check (a learner's removal changes
// no majority). Their pods are those of a StatefulSet of their own, scaled
// by SetObserverReplicas.

// observerMembers splits the configuration's learners into the scale-up
// learners (to be promoted) and the observers (never).
func observerMembers(learners []adminapi.Member) (scaleUp, observers []adminapi.Member) {
	for _, l := range learners {
		if podlayout.IsObserverID(l.ID) {
			observers = append(observers, l)
		} else {
			scaleUp = append(scaleUp, l)
		}
	}
	slices.SortFunc(observers, func(a, b adminapi.Member) int { return int(a.ID) - int(b.ID) })
	return scaleUp, observers
}

// wantedObserver reports whether the spec wants observer id.
func (o Observation) wantedObserver(id uint64) bool {
	return id < podlayout.ObserverID(o.DesiredObservers)
}

// observerRemoval is the removal of an observer the spec no longer wants
// (the highest first), or of one whose pod has failed (it is added again).
func observerRemoval(o Observation, observers []adminapi.Member) (Step, bool) {
	for i := len(observers) - 1; i >= 0; i-- {
		if id := observers[i].ID; !o.wantedObserver(id) {
			return Step{Action: RemoveMember, Member: id, Reason: fmt.Sprintf("observer %d is beyond the %d observers wanted", id, o.DesiredObservers)}, true
		}
	}
	for _, m := range observers {
		p, ok := o.Pods[m.ID]
		if m.Active || !ok || !p.Exists || p.NotReadyFor < FailedAfter {
			continue
		}
		return Step{Action: RemoveMember, Member: m.ID, Replace: true, Reason: fmt.Sprintf("observer %d has not answered the leader for %s while its pod runs: replace it", m.ID, p.NotReadyFor.Round(time.Second))}, true
	}
	return Step{}, false
}

// observerScaling sizes the observers' StatefulSet and adds the observers
// it runs, one step at a time, lowest id first.
func observerScaling(o Observation, observers []adminapi.Member) (Step, bool) {
	highest := 0 // pods needed for the observers in the configuration
	if len(observers) > 0 {
		highest = int(observers[len(observers)-1].ID-podlayout.ObserverIDBase) + 1
	}
	if o.ObserverReplicas > o.DesiredObservers && o.ObserverReplicas > highest {
		// Their removal has committed and is published: the pods can go.
		r := max(highest, o.DesiredObservers)
		return Step{Action: SetObserverReplicas, Replicas: r, Reason: fmt.Sprintf("observers left the configuration: shrink to %d observer pods", r)}, true
	}
	if len(observers) >= o.DesiredObservers {
		return Step{}, false
	}
	ord := 0
	for slices.ContainsFunc(observers, func(m adminapi.Member) bool { return m.ID == podlayout.ObserverID(ord) }) {
		ord++
	}
	k := podlayout.ObserverID(ord)
	if o.ObserverReplicas <= ord {
		return Step{Action: SetObserverReplicas, Member: k, Replicas: ord + 1, Reason: fmt.Sprintf("start the pod of observer %d", k)}, true
	}
	p := o.Pods[k]
	if !p.Exists || p.Admin == nil {
		return Step{Action: Wait, Member: k, Reason: fmt.Sprintf("waiting for the pod of observer %d to answer", k)}, true
	}
	if p.Admin.Removed {
		return Step{Action: RestartPod, Member: k, Reason: fmt.Sprintf("observer %d still runs on the state it was removed with: restart it so it joins afresh", k)}, true
	}
	return Step{Action: AddLearner, Member: k, Reason: fmt.Sprintf("add observer %d (%d of %d)", k, len(observers)+1, o.DesiredObservers)}, true
}
