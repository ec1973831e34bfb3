package ensemble

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// reconfigCluster is three members that serve the reconfig opcode.
func reconfigCluster(t *testing.T) []*member {
	t.Helper()
	ms := cluster(t, 3, 1000)
	for _, m := range ms {
		m.node.EnableReconfig()
	}
	waitLeader(t, ms)
	for _, m := range ms {
		waitFor(t, fmt.Sprintf("member %d in quorum", m.cfg.ID), func() bool { return m.node.Ready() == nil })
	}
	return ms
}

func followers(ms []*member, leader *member) []*member {
	var out []*member
	for _, m := range ms {
		if m != leader {
			out = append(out, m)
		}
	}
	return out
}

func hasMember(m *member, id uint64) bool {
	_, ok := m.node.member(id)
	return ok
}

// TestReconfigRemovals: removing a member answers OK once the change is
// applied on the member that asked, whoever asks and whoever goes, the
// leader included (it hands over first); the removed member knows it.
func TestReconfigRemovals(t *testing.T) {
	tests := []struct {
		name string
		// via picks the member the client is on, gone the member removed.
		pick func(leader *member, fs []*member) (via, gone *member)
	}{
		{"a follower through its own connection", func(l *member, fs []*member) (*member, *member) { return fs[0], fs[0] }},
		{"a follower through the leader", func(l *member, fs []*member) (*member, *member) { return l, fs[0] }},
		{"the leader through its own connection", func(l *member, fs []*member) (*member, *member) { return l, l }},
		{"the leader through a follower", func(l *member, fs []*member) (*member, *member) { return fs[0], l }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := reconfigCluster(t)
			leader := waitLeader(t, ms)
			via, gone := tc.pick(leader, followers(ms, leader))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code := via.node.Reconfig(ctx, "", fmt.Sprint(gone.cfg.ID), "")
			if code != wire.ErrOK {
				t.Fatalf("reconfig removing member %d through member %d: %v", gone.cfg.ID, via.cfg.ID, code)
			}
			if hasMember(via, gone.cfg.ID) {
				t.Fatalf("member %d answered before applying the removal", via.cfg.ID)
			}
			waitFor(t, "the removed member knows", gone.node.Removed)
			var rest []*member
			for _, m := range ms {
				if m != gone {
					rest = append(rest, m)
				}
			}
			for _, m := range rest {
				waitFor(t, fmt.Sprintf("member %d applies the removal", m.cfg.ID), func() bool { return !hasMember(m, gone.cfg.ID) })
			}
			propose(t, waitLeader(t, rest), "after", "removal")
			waitConverged(t, rest, "after", "removal")
		})
	}
}

// TestReconfigMalformed: ZooKeeper's answers to bad input, before anything
// is forwarded or proposed.
func TestReconfigMalformed(t *testing.T) {
	ms := reconfigCluster(t)
	leader := waitLeader(t, ms)
	f := followers(ms, leader)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		joining, leaving, members string
		want                      wire.ErrCode
	}{
		{joining: "some thing", want: wire.ErrBadArguments},
		{joining: "server.9=foo", want: wire.ErrBadArguments},
		{joining: "server.9=h:1:2:voter;3", want: wire.ErrBadArguments},
		{leaving: "abc", want: wire.ErrMarshallingError},
		{members: "server.1=h:1", want: wire.ErrBadArguments},
		{leaving: "1,2,3", want: wire.ErrBadArguments}, // no voter would be left
	}
	for _, tc := range tests {
		for _, m := range []*member{leader, f} {
			if got := m.node.Reconfig(ctx, tc.joining, tc.leaving, tc.members); got != tc.want {
				t.Errorf("reconfig(%q, %q, %q) through member %d = %v, want %v", tc.joining, tc.leaving, tc.members, m.cfg.ID, got, tc.want)
			}
		}
	}
	if got := len(leader.node.Members()); got != 3 {
		t.Fatalf("bad input changed the membership: %v", leader.node.Members())
	}
}
