package ensemble

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

func adminClient(t *testing.T, m *member) *adminapi.Client {
	t.Helper()
	srv := httptest.NewServer(m.node.AdminHandler(AdminInfo{EnsembleID: "test"}))
	t.Cleanup(srv.Close)
	return adminapi.NewClient(srv.URL, srv.Client(), adminapi.Credentials{})
}

func wantAdminError(t *testing.T, what string, err error, code string) *adminapi.Error {
	t.Helper()
	var ae *adminapi.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	return ae
}

// TestAdminAPI drives membership through the typed HTTP client the operator
// uses: a learner is added and promoted, a follower refuses with NotLeader
// and names the leader, leadership moves, the old leader is removed, and
// readiness follows.
func TestAdminAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 1, 1000)
	first := ms[0]
	waitLeader(t, ms)
	propose(t, first, "k", "v")
	c1 := adminClient(t, first)

	st, err := c1.Status(ctx)
	if err != nil || st.Role != adminapi.RoleLeader || st.LeaderID != 1 || len(st.Members) != 1 || st.EnsembleID != "test" {
		t.Fatalf("status of an ensemble of one: %+v %v", st, err)
	}
	_, err = c1.Promote(ctx, 9)
	wantAdminError(t, "promoting an unknown member", err, "UnknownMember")
	_, err = c1.RemoveMember(ctx, 1)
	wantAdminError(t, "removing the leader", err, "IsLeader")

	peer2 := freeAddr(t)
	second := joiner(t, 2, map[uint64]string{1: first.cfg.Peers[1], 2: peer2})
	c2 := adminClient(t, second)
	if st, err := c2.Status(ctx); err != nil || st.Role != adminapi.RoleNone || second.node.Ready() == nil {
		t.Fatalf("a member not yet added: %+v %v ready=%v", st, err, second.node.Ready())
	}
	st, err = c1.AddLearner(ctx, adminapi.AddLearnerRequest{ID: 2, PeerAddr: peer2, ClientAddr: "127.0.0.1:2182"})
	if err != nil || len(st.Members) != 2 {
		t.Fatalf("add learner: %+v %v", st, err)
	}
	_, err = c1.AddLearner(ctx, adminapi.AddLearnerRequest{ID: 2, PeerAddr: peer2})
	wantAdminError(t, "adding it twice", err, "MemberExists")
	waitFor(t, "the learner is promoted once caught up", func() bool {
		_, err := c1.Promote(ctx, 2)
		return err == nil
	})
	waitFor(t, "the new voter is ready", func() bool { return second.node.Ready() == nil })
	st, err = c2.Status(ctx)
	if err != nil || st.Role != adminapi.RoleFollower || st.LeaderID != 1 || !st.CaughtUp {
		t.Fatalf("status of the new voter: %+v %v", st, err)
	}
	_, err = c2.AddLearner(ctx, adminapi.AddLearnerRequest{ID: 3, PeerAddr: freeAddr(t)})
	if ae := wantAdminError(t, "a follower asked to add", err, "NotLeader"); ae.LeaderID != 1 {
		t.Fatalf("NotLeader names leader %d, want 1", ae.LeaderID)
	}

	st, err = c1.TransferLeadership(ctx, 2)
	if err != nil || st.LeaderID != 2 {
		t.Fatalf("transfer: %+v %v", st, err)
	}
	// With two voters, removing one leaves one: a quorum of itself.
	st, err = c2.RemoveMember(ctx, 1)
	if err != nil || len(st.Members) != 1 || st.Members[0].ID != 2 {
		t.Fatalf("remove the old leader: %+v %v", st, err)
	}
	waitFor(t, "the removed member is no longer ready", func() bool { return first.node.Ready() != nil })
	propose(t, second, "after", "transfer")
}

// TestFollowersAnswerTheLeader: in a healthy ensemble the leader's status
// shows every voter answering at every instant, through many election
// timeouts (Raft clears RecentActive at each one; make stress saw the
// planner refuse a scale-up at such an instant: "2 of 3 voters answer").
func TestFollowersAnswerTheLeader(t *testing.T) {
	ms := cluster(t, 3, 1000)
	leader := waitLeader(t, ms)
	propose(t, leader, "k", "v")
	waitConverged(t, ms, "k", "v")
	waitFor(t, "the leader hears from both followers", func() bool {
		for _, m := range leader.node.AdminStatus(AdminInfo{}).Members {
			if !m.Active {
				return false
			}
		}
		return true
	})
	span := 20 * leader.node.cfg.electionTimeout()
	for end := time.Now().Add(span); time.Now().Before(end); {
		for _, m := range leader.node.AdminStatus(AdminInfo{}).Members {
			if !m.Active {
				t.Fatalf("member %d shows as not answering the leader in a healthy ensemble", m.ID)
			}
		}
		time.Sleep(time.Millisecond) // sampling the status, as the operator's observations do at random instants
	}
}
