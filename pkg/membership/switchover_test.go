package membership

import (
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

func TestSwitchover(t *testing.T) {
	v1, v2, v3 := voter(1), voter(2), voter(3)
	lagging3 := v3
	lagging3.Lag = 5
	silent3 := v3
	silent3.Active = false
	learner4 := adminapi.Member{ID: 4, Role: adminapi.RoleLearner, Active: true}
	obs := func(leader uint64, members ...adminapi.Member) Observation {
		return Observation{Desired: 3, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(leader, 7, members...)}
	}
	tests := []struct {
		name   string
		obs    Observation
		to     uint64
		action Action
		member uint64
		reason string
	}{
		{name: "no leader", obs: Observation{Desired: 3, Replicas: 3}, to: 2, action: Wait, member: 2, reason: "waits for a leader"},
		{name: "target leads", obs: obs(2, v1, v2, v3), to: 2, action: Done, member: 2},
		{name: "hand over", obs: obs(1, v1, v2, v3), to: 3, action: TransferLeadership, member: 1},
		{name: "target behind", obs: obs(1, v1, v2, lagging3), to: 3, action: Wait, member: 3, reason: "lag 5"},
		{name: "target not heard from", obs: obs(1, v1, v2, silent3), to: 3, action: Wait, member: 3, reason: "heard from: false"},
		{name: "learner", obs: obs(1, v1, v2, v3, learner4), to: 4, action: Refuse, member: 4, reason: "learner"},
		{name: "unknown member", obs: obs(1, v1, v2, v3), to: 9, action: Refuse, member: 9, reason: "not a member"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Switchover(tc.obs, tc.to)
			if s.Action != tc.action || s.Member != tc.member || !strings.Contains(s.Reason, tc.reason) {
				t.Fatalf("Switchover(to %d) = %+v, want %s(%d) with %q", tc.to, s, tc.action, tc.member, tc.reason)
			}
			if s.Action == TransferLeadership && s.To != tc.to {
				t.Fatalf("transfer to %d, want %d", s.To, tc.to)
			}
		})
	}
}
