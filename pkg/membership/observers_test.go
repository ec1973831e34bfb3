package membership

import (
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

func observer(id uint64) adminapi.Member {
	return adminapi.Member{ID: id, Role: adminapi.RoleLearner, Active: true}
}

// TestPlanObservers: observers (learners in the observer id range) are
// added and removed by their own count, never promoted, never counted as
// voters, and never block or trigger a change of the voter set.
func TestPlanObservers(t *testing.T) {
	v1, v2, v3 := voter(1), voter(2), voter(3)
	down2 := v2
	down2.Active = false
	o128, o129 := observer(128), observer(129)
	steady := func(obs Observation) Observation {
		obs.Desired, obs.Replicas, obs.Published = 3, 3, []uint64{1, 2, 3}
		if obs.Pods == nil {
			obs.Pods = readyPods(1, 2, 3, 128, 129)
		}
		return obs
	}
	pods := func(change func(map[uint64]Pod)) map[uint64]Pod {
		p := readyPods(1, 2, 3, 128, 129)
		change(p)
		return p
	}
	tests := []struct {
		name   string
		obs    Observation
		action Action
		member uint64
		reps   int
		reason string
	}{
		{name: "steady with two observers", obs: steady(Observation{DesiredObservers: 2, ObserverReplicas: 2, Leader: leaderStatus(1, 9, v1, v2, v3, o128, o129), PublishedObservers: []uint64{129, 128}, PublishedVersion: 9}), action: Done, reason: "2 observers"},
		{name: "start the first observer pod", obs: steady(Observation{DesiredObservers: 2, Leader: leaderStatus(1, 7, v1, v2, v3), PublishedVersion: 7}), action: SetObserverReplicas, member: 128, reps: 1},
		{name: "wait for the observer pod", obs: steady(Observation{DesiredObservers: 2, ObserverReplicas: 1, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, v2, v3), PublishedVersion: 7}), action: Wait, member: 128},
		{name: "add the observer as a learner", obs: steady(Observation{DesiredObservers: 2, ObserverReplicas: 1, Leader: leaderStatus(1, 7, v1, v2, v3), PublishedVersion: 7}), action: AddLearner, member: 128, reason: "observer"},
		{name: "publish it", obs: steady(Observation{DesiredObservers: 2, ObserverReplicas: 1, Leader: leaderStatus(1, 8, v1, v2, v3, o128), PublishedVersion: 7}), action: Publish, reason: "observers [128]"},
		{name: "then the second pod", obs: steady(Observation{DesiredObservers: 2, ObserverReplicas: 1, Leader: leaderStatus(1, 8, v1, v2, v3, o128), PublishedObservers: []uint64{128}, PublishedVersion: 8}), action: SetObserverReplicas, member: 129, reps: 2},
		// A caught-up observer is never promoted, whatever the voter count.
		{name: "caught-up observer is not promoted", obs: steady(Observation{Desired: 5, DesiredObservers: 1, ObserverReplicas: 1, Leader: leaderStatus(1, 8, v1, v2, v3, o128), PublishedObservers: []uint64{128}, PublishedVersion: 8}), action: Done},
		{name: "observers do not make a voter scale-up", obs: func() Observation {
			o := steady(Observation{DesiredObservers: 1, ObserverReplicas: 1, Leader: leaderStatus(1, 8, v1, v2, v3, o128), PublishedObservers: []uint64{128}, PublishedVersion: 8})
			o.Desired = 5
			return o
		}(), action: SetReplicas, member: 4, reps: 4},
		{name: "scale-down removes the highest observer", obs: steady(Observation{DesiredObservers: 0, ObserverReplicas: 2, Leader: leaderStatus(1, 9, v1, v2, v3, o128, o129), PublishedObservers: []uint64{128, 129}, PublishedVersion: 9}), action: RemoveMember, member: 129},
		// A learner's removal changes no majority: no quorum check.
		{name: "observer removed even with a voter down", obs: steady(Observation{DesiredObservers: 1, ObserverReplicas: 2, Leader: leaderStatus(1, 9, v1, down2, v3, o128, o129), PublishedObservers: []uint64{128, 129}, PublishedVersion: 9}), action: RemoveMember, member: 129},
		{name: "removal published before the pods go", obs: steady(Observation{DesiredObservers: 0, ObserverReplicas: 2, Leader: leaderStatus(1, 11, v1, v2, v3), PublishedObservers: []uint64{128}, PublishedVersion: 10}), action: Publish},
		{name: "then the pods go", obs: steady(Observation{DesiredObservers: 0, ObserverReplicas: 2, Leader: leaderStatus(1, 11, v1, v2, v3), PublishedVersion: 11}), action: SetObserverReplicas, reps: 0},
		{name: "a removed observer still running restarts first", obs: steady(Observation{DesiredObservers: 1, ObserverReplicas: 1, Pods: pods(func(p map[uint64]Pod) { p[128].Admin.Removed = true }), Leader: leaderStatus(1, 11, v1, v2, v3), PublishedVersion: 11}), action: RestartPod, member: 128},
		{name: "failed observer replaced", obs: steady(Observation{DesiredObservers: 1, ObserverReplicas: 1, Pods: pods(func(p map[uint64]Pod) {
			x := p[128]
			x.Ready, x.Admin, x.NotReadyFor = false, nil, 2*FailedAfter
			p[128] = x
		}), Leader: leaderStatus(1, 9, v1, v2, v3, adminapi.Member{ID: 128, Role: adminapi.RoleLearner}), PublishedObservers: []uint64{128}, PublishedVersion: 9}), action: RemoveMember, member: 128},
		{name: "rolling: observers first", obs: steady(Observation{DesiredObservers: 1, ObserverReplicas: 1, Pods: pods(func(p map[uint64]Pod) {
			for _, id := range []uint64{2, 128} {
				x := p[id]
				x.UpToDate = false
				p[id] = x
			}
		}), Leader: leaderStatus(1, 9, v1, v2, v3, o128), PublishedObservers: []uint64{128}, PublishedVersion: 9}), action: RestartPod, member: 128},
		// Voter scale-down still counts voters only.
		{name: "voter scale-down ignores observers for quorum", obs: func() Observation {
			o := steady(Observation{DesiredObservers: 2, ObserverReplicas: 2, Leader: leaderStatus(1, 9, v1, v2, v3, o128, o129), PublishedObservers: []uint64{128, 129}, PublishedVersion: 9})
			o.Desired = 2
			return o
		}(), action: RemoveMember, member: 3, reason: "from 3 to 2 voters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Plan(tc.obs)
			if s.Action != tc.action || s.Member != tc.member || s.Replicas != tc.reps || !strings.Contains(s.Reason, tc.reason) {
				t.Fatalf("got %+v; want %s member %d replicas %d reason containing %q", s, tc.action, tc.member, tc.reps, tc.reason)
			}
		})
	}
}
