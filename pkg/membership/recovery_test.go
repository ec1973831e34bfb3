package membership

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// survivorPod answers with its log: a follower of a configuration of voters.
func survivorPod(id, applied uint64, voters ...uint64) Pod {
	st := &adminapi.Status{ID: id, Role: adminapi.RoleFollower, AppliedIndex: applied, Zxid: int64(0x100000000 + applied)}
	for _, v := range voters {
		st.Members = append(st.Members, adminapi.Member{ID: v, Role: adminapi.RoleFollower})
	}
	return Pod{ID: id, Exists: true, Admin: st}
}

// emptyPod answers with an empty log: its volume was replaced.
func emptyPod(id uint64) Pod {
	return Pod{ID: id, Exists: true, Admin: &adminapi.Status{ID: id, Role: adminapi.RoleNone}}
}

func silentPod(id uint64) Pod { return Pod{ID: id, Exists: true} }

func pods(ps ...Pod) map[uint64]Pod {
	m := map[uint64]Pod{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

func TestQuorumLoss(t *testing.T) {
	tests := []struct {
		name      string
		obs       Observation
		survivors []uint64
		lost      []uint64
	}{
		{name: "two of three volumes lost", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(survivorPod(1, 90, 1, 2, 3), emptyPod(2), emptyPod(3))},
			survivors: []uint64{1}, lost: []uint64{2, 3}},
		{name: "two survivors, the most advanced first", obs: Observation{Replicas: 5, NoLeaderFor: QuorumLostAfter, Pods: pods(survivorPod(1, 80, 1, 2, 3, 4, 5), survivorPod(2, 95, 1, 2, 3, 4, 5), emptyPod(3), emptyPod(4), emptyPod(5))},
			survivors: []uint64{2, 1}, lost: []uint64{3, 4, 5}},
		{name: "not for long enough", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter / 2, Pods: pods(survivorPod(1, 90, 1, 2, 3), emptyPod(2), emptyPod(3))}},
		{name: "a leader serves", obs: Observation{Replicas: 3, Leader: leaderStatus(1, 7, voter(1), voter(2), voter(3)), Pods: pods(survivorPod(1, 90, 1, 2, 3), emptyPod(2), emptyPod(3))}},
		{name: "one lost, one silent: it may come back", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(survivorPod(1, 90, 1, 2, 3), emptyPod(2), silentPod(3))}},
		{name: "every member silent", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(silentPod(1), silentPod(2), silentPod(3))}},
		{name: "a learner's empty log does not count", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: func() map[uint64]Pod {
			p := pods(survivorPod(1, 90, 1, 2), emptyPod(2), emptyPod(3))
			p[1].Admin.Members = append(p[1].Admin.Members, adminapi.Member{ID: 3, Role: adminapi.RoleLearner})
			return p
		}()}, survivors: []uint64{1}, lost: []uint64{2}},
		{name: "the newest configuration counts (a survivor behind still lists a removed member)", obs: Observation{Replicas: 3, NoLeaderFor: QuorumLostAfter,
			Pods: pods(survivorPod(1, 90, 1, 2, 3, 4, 5), survivorPod(2, 120, 1, 2, 3), emptyPod(3))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := QuorumLoss(tc.obs)
			if tc.survivors == nil {
				if l != nil {
					t.Fatalf("loss %+v, want none", l)
				}
				return
			}
			if l == nil {
				t.Fatal("no loss reported")
			}
			if got := survivorIDs(l); !reflect.DeepEqual(got, tc.survivors) || !reflect.DeepEqual(l.Lost, tc.lost) {
				t.Fatalf("survivors %v lost %v, want %v %v", got, l.Lost, tc.survivors, tc.lost)
			}
			msg := l.Message("kubectl annotate zke/x force=%s")
			if !strings.Contains(msg, "kubectl annotate zke/x force="+strconv.FormatUint(tc.survivors[0], 10)) || !strings.Contains(msg, "applied index") {
				t.Fatalf("message %q does not name the survivor and the command", msg)
			}
		})
	}
}

func TestParseRecoveryRequest(t *testing.T) {
	for in, want := range map[string]*RecoveryRequest{
		"2":                   {Member: 2},
		" 3/accept-data-loss": {Member: 3, AcceptDataLoss: true},
		"":                    nil,
		"0":                   nil,
		"x":                   nil,
		"2/yes":               nil,
		"2/":                  nil,
		"256":                 nil,
	} {
		got, err := ParseRecoveryRequest(in)
		if want == nil {
			if err == nil {
				t.Errorf("%q: %+v, want an error", in, got)
			}
			continue
		}
		if err != nil || got != *want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, *want)
		}
	}
}

func TestPlanRecovery(t *testing.T) {
	lostObs := Observation{Desired: 3, Replicas: 3, NoLeaderFor: QuorumLostAfter,
		Pods: pods(survivorPod(1, 80, 1, 2, 3, 4, 5), survivorPod(2, 95, 1, 2, 3, 4, 5), emptyPod(3), emptyPod(4), emptyPod(5))}
	led := Observation{Desired: 3, Replicas: 3, Pods: readyPods(1, 2, 3), Leader: leaderStatus(2, 9, voter(2))}
	silentObs := Observation{Desired: 3, Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(survivorPod(1, 90, 1, 2, 3), emptyPod(2), silentPod(3))}
	noLeader := Observation{Desired: 3, Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(silentPod(1), silentPod(2), silentPod(3))}
	tests := []struct {
		name   string
		obs    Observation
		req    *RecoveryRequest
		prog   *RecoveryProgress
		action Action
		member uint64
		reason string
	}{
		{name: "quorum lost, no request: no step", obs: lostObs, action: Wait, member: 2, reason: "waiting for the user"},
		{name: "no loss, no request: the usual plan", obs: led, action: Publish},
		{name: "the most advanced survivor", obs: lostObs, req: &RecoveryRequest{Member: 2}, action: ForceNewCluster, member: 2, reason: "[3 4 5]"},
		{name: "a survivor behind: refused", obs: lostObs, req: &RecoveryRequest{Member: 1}, action: Refuse, member: 1, reason: "1/accept-data-loss\" to lose the 15 entries only member 2 has"},
		{name: "a survivor behind, loss accepted", obs: lostObs, req: &RecoveryRequest{Member: 1, AcceptDataLoss: true}, action: ForceNewCluster, member: 1},
		{name: "a lost member: refused", obs: lostObs, req: &RecoveryRequest{Member: 4, AcceptDataLoss: true}, action: Refuse, member: 4, reason: "not a survivor"},
		{name: "a request while a leader serves is withdrawn", obs: led, req: &RecoveryRequest{Member: 2}, action: DropRecoveryRequest, member: 2, reason: "a leader serves"},
		{name: "a request without an established loss is withdrawn", obs: noLeader, req: &RecoveryRequest{Member: 2}, action: DropRecoveryRequest, member: 2, reason: "not established"},
		{name: "silent members, not confirmed: withdrawn", obs: silentObs, req: &RecoveryRequest{Member: 1}, action: DropRecoveryRequest, member: 1, reason: "not established"},
		{name: "silent members, confirmed: the user asserts their loss", obs: silentObs, req: &RecoveryRequest{Member: 1, AcceptDataLoss: true}, action: ForceNewCluster, member: 1, reason: "members [2 3] are gone"},
		{name: "silent members, confirmed, but a quorum answers: withdrawn", obs: Observation{Desired: 3, Replicas: 3, NoLeaderFor: QuorumLostAfter, Pods: pods(survivorPod(1, 90, 1, 2, 3), survivorPod(2, 90, 1, 2, 3), silentPod(3))},
			req: &RecoveryRequest{Member: 1, AcceptDataLoss: true}, action: DropRecoveryRequest, member: 1},
		{name: "requested: restart the survivor", obs: lostObs, prog: &RecoveryProgress{Member: 2}, action: RestartSurvivor, member: 2},
		{name: "restarted without reading the request: again", obs: func() Observation {
			o := lostObs
			o.Pods = pods(survivorPod(1, 80, 1, 2, 3, 4, 5), func() Pod { p := survivorPod(2, 95, 1, 2, 3, 4, 5); p.NotReadyFor = 2 * QuorumLostAfter; return p }(), emptyPod(3))
			return o
		}(), prog: &RecoveryProgress{Member: 2, Restarted: true}, action: RestartSurvivor, member: 2, reason: "restart it again"},
		{name: "restarted: wait for it to lead", obs: lostObs, prog: &RecoveryProgress{Member: 2, Restarted: true}, action: Wait, member: 2},
		{name: "it leads: done", obs: led, prog: &RecoveryProgress{Member: 2, Restarted: true}, req: &RecoveryRequest{Member: 2}, action: FinishRecovery, member: 2},
		{name: "another leads (not the forced one): wait", obs: Observation{Pods: readyPods(1), Leader: leaderStatus(1, 9, voter(1))}, prog: &RecoveryProgress{Member: 2, Restarted: true}, action: Wait, member: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := PlanRecovery(tc.obs, QuorumLoss(tc.obs), tc.req, tc.prog)
			if s.Action != tc.action || s.Member != tc.member || !strings.Contains(s.Reason, tc.reason) {
				t.Fatalf("got %s, want %s(%d) with %q", s, tc.action, tc.member, tc.reason)
			}
		})
	}
}
