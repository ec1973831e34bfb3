package membership

import (
	"time"

	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

func leaderStatus(leader uint64, version int64, members ...adminapi.Member) *adminapi.Status {
	return &adminapi.Status{ID: leader, Role: adminapi.RoleLeader, LeaderID: leader, ConfigVersion: version, Members: members}
}

func voter(id uint64) adminapi.Member {
	return adminapi.Member{ID: id, Role: adminapi.RoleFollower, Active: true}
}

func readyPods(ids ...uint64) map[uint64]Pod {
	pods := map[uint64]Pod{}
	for _, id := range ids {
		pods[id] = Pod{ID: id, Exists: true, Ready: true, UpToDate: true, Admin: &adminapi.Status{ID: id, CaughtUp: true}}
	}
	return pods
}

func TestPlan(t *testing.T) {
	v1, v2, v3 := voter(1), voter(2), voter(3)
	down2 := v2
	down2.Active = false
	learner4 := adminapi.Member{ID: 4, Role: adminapi.RoleLearner, Active: true, Lag: 12}
	caught4 := learner4
	caught4.Lag = 0
	stale := func(p map[uint64]Pod, ids ...uint64) map[uint64]Pod {
		for _, id := range ids {
			x := p[id]
			x.UpToDate = false
			p[id] = x
		}
		return p
	}
	tests := []struct {
		name   string
		obs    Observation
		action Action
		member uint64
		to     uint64
		reps   int
		reason string
	}{
		{name: "new ensemble starts one pod", obs: Observation{Desired: 3}, action: SetReplicas, reps: 1},
		{name: "no leader: wait", obs: Observation{Desired: 3, Replicas: 3, Pods: readyPods(1, 2, 3)}, action: Wait, reason: "no leader"},
		{name: "first publish", obs: Observation{Desired: 1, Replicas: 1, Pods: readyPods(1), Leader: leaderStatus(1, 0x100000000, v1)}, action: Publish},
		{name: "steady", obs: Observation{Desired: 3, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{3, 1, 2}, PublishedVersion: 7}, action: Done},
		{name: "scale up: start the pod", obs: Observation{Desired: 5, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: SetReplicas, member: 4, reps: 4},
		{name: "scale up: wait for the pod", obs: Observation{Desired: 5, Replicas: 4, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Wait, member: 4},
		{name: "scale up: add learner", obs: Observation{Desired: 5, Replicas: 4, Pods: readyPods(1, 2, 3, 4), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: AddLearner, member: 4},
		{name: "scale up: a removed member still running is restarted first", obs: Observation{Desired: 3, Replicas: 3, Pods: func() map[uint64]Pod {
			p := readyPods(1, 2, 3)
			p[3].Admin.Removed = true
			return p
		}(), Leader: leaderStatus(1, 9, v1, v2), Published: []uint64{1, 2}, PublishedVersion: 9}, action: RestartPod, member: 3},
		{name: "learner catching up", obs: Observation{Desired: 5, Replicas: 4, Pods: readyPods(1, 2, 3, 4), Leader: leaderStatus(1, 8, v1, v2, v3, learner4), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Wait, member: 4, reason: "catching up"},
		{name: "learner caught up: promote before publishing", obs: Observation{Desired: 5, Replicas: 4, Pods: readyPods(1, 2, 3, 4), Leader: leaderStatus(1, 8, v1, v2, v3, caught4), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Promote, member: 4},
		{name: "unwanted learner removed", obs: Observation{Desired: 3, Replicas: 4, Pods: readyPods(1, 2, 3, 4), Leader: leaderStatus(1, 8, v1, v2, v3, learner4), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: RemoveMember, member: 4},
		{name: "scale up refused while a voter is down", obs: Observation{Desired: 5, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, down2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Refuse, member: 4, reason: "healthy"},
		{name: "scale down removes the highest", obs: Observation{Desired: 2, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: RemoveMember, member: 3},
		{name: "scale down moves leadership first", obs: Observation{Desired: 2, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(3, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: TransferLeadership, member: 3, to: 1},
		{name: "scale down refused without quorum left", obs: Observation{Desired: 2, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 7, v1, down2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Refuse, member: 3, reason: "quorum"},
		{name: "removal published before the pod goes", obs: Observation{Desired: 2, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 9, v1, v2), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Publish},
		{name: "then the pod goes", obs: Observation{Desired: 2, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(1, 9, v1, v2), Published: []uint64{1, 2}, PublishedVersion: 9}, action: SetReplicas, reps: 2},
		{name: "rolling: followers first", obs: Observation{Desired: 3, Replicas: 3, Pods: stale(readyPods(1, 2, 3), 1, 3), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: RestartPod, member: 3},
		{name: "rolling: leader last, after a transfer", obs: Observation{Desired: 3, Replicas: 3, Pods: stale(readyPods(1, 2, 3), 1), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: TransferLeadership, member: 1, to: 2},
		{name: "rolling waits for a restarted member", obs: Observation{Desired: 3, Replicas: 3, Pods: func() map[uint64]Pod {
			p := stale(readyPods(1, 2, 3), 1)
			x := p[3]
			x.Ready = false
			p[3] = x
			return p
		}(), Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}, action: Wait, member: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Plan(tc.obs)
			if s.Action != tc.action || s.Member != tc.member || s.To != tc.to || s.Replicas != tc.reps || !strings.Contains(s.Reason, tc.reason) {
				t.Fatalf("got %+v; want %s member %d to %d replicas %d reason containing %q", s, tc.action, tc.member, tc.to, tc.reps, tc.reason)
			}
		})
	}
}

func TestPlanReplacesFailedMember(t *testing.T) {
	v1, v2, v3 := voter(1), voter(2), voter(3)
	v2.Active = false
	pods := readyPods(1, 2, 3)
	p := pods[2]
	p.Ready, p.Admin, p.NotReadyFor = false, nil, 2*FailedAfter
	pods[2] = p
	s := Plan(Observation{Desired: 3, Replicas: 3, Pods: pods, Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7})
	if s.Action != RemoveMember || s.Member != 2 || !s.Replace {
		t.Fatalf("failed member: %s", s)
	}
	// Not yet failed long enough: wait for it like any restart.
	p.NotReadyFor = FailedAfter / 2
	pods[2] = p
	if s := Plan(Observation{Desired: 3, Replicas: 3, Pods: pods, Leader: leaderStatus(1, 7, v1, v2, v3), Published: []uint64{1, 2, 3}, PublishedVersion: 7}); s.Action == RemoveMember {
		t.Fatalf("removed a member that is only restarting: %s", s)
	}
	// After the removal is published, the same id comes back first.
	pods[2] = Pod{ID: 2, Exists: true, Admin: &adminapi.Status{ID: 2}}
	s = Plan(Observation{Desired: 3, Replicas: 3, Pods: pods, Leader: leaderStatus(1, 9, v1, v3), Published: []uint64{1, 3}, PublishedVersion: 9})
	if s.Action != AddLearner || s.Member != 2 {
		t.Fatalf("re-adding: %s", s)
	}
}

func TestPlanReplacesMemberThatLostItsData(t *testing.T) {
	lost := func(pods map[uint64]Pod, id uint64) map[uint64]Pod {
		p := pods[id]
		p.Ready, p.NotReadyFor = false, time.Second
		p.Admin = &adminapi.Status{ID: id, DataLost: true}
		pods[id] = p
		return pods
	}
	down := voter(3)
	down.Active = false
	learner := voter(4)
	learner.Role = adminapi.RoleLearner
	for _, tc := range []struct {
		name    string
		members []adminapi.Member
		pods    map[uint64]Pod
		want    Action
		member  uint64
	}{
		{"a voter, at once", []adminapi.Member{voter(1), voter(2), voter(3)}, lost(readyPods(1, 2, 3), 2), RemoveMember, 2},
		{"a learner", []adminapi.Member{voter(1), voter(2), voter(3), learner}, lost(readyPods(1, 2, 3, 4), 4), RemoveMember, 4},
		{"not when the rest lose the quorum", []adminapi.Member{voter(1), voter(2), down}, lost(readyPods(1, 2, 3), 2), Refuse, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Plan(Observation{Desired: 3, Replicas: len(tc.pods), Pods: tc.pods, Leader: leaderStatus(1, 7, tc.members...), Published: []uint64{1, 2, 3}, PublishedVersion: 7})
			if s.Action != tc.want || s.Member != tc.member || (s.Action == RemoveMember && !s.Replace) {
				t.Fatalf("got %s (replace %v), want %s(%d)", s, s.Replace, tc.want, tc.member)
			}
		})
	}
}

func TestPickLeaderIgnoresAStaleSelfLeader(t *testing.T) {
	pods := map[uint64]Pod{
		1: {ID: 1, Exists: true, Admin: &adminapi.Status{ID: 1, Role: adminapi.RoleLeader, LeaderID: 1, Term: 4}},
		2: {ID: 2, Exists: true, Admin: &adminapi.Status{ID: 2, Role: adminapi.RoleLeader, LeaderID: 2, Term: 9}},
		3: {ID: 3, Exists: true, Admin: &adminapi.Status{ID: 3, Role: adminapi.RoleFollower, LeaderID: 1, Term: 4}},
	}
	if l := pickLeader(pods); l == nil || l.ID != 1 {
		t.Fatalf("picked %+v; want member 1, which member 3 follows", l)
	}
}
