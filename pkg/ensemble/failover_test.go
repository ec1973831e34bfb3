package ensemble

import (
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// TestRefusedCandidate: only a refused vote (not a granted one, not a
// refused pre-vote, not another message) makes a member consider
// campaigning, in the term of the refusal.
func TestRefusedCandidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		msgs []pb.Message
		want uint64
	}{
		{"nothing sent", nil, 0},
		{"vote granted", []pb.Message{{Type: pb.MsgVoteResp, Term: 4}}, 0},
		{"vote refused", []pb.Message{{Type: pb.MsgApp, Term: 3}, {Type: pb.MsgVoteResp, Term: 4, Reject: true}}, 4},
		{"pre-vote refused", []pb.Message{{Type: pb.MsgPreVoteResp, Term: 5, Reject: true}}, 0},
		{"append refused", []pb.Message{{Type: pb.MsgAppResp, Term: 4, Reject: true}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refusedCandidate(raft.Ready{Messages: tc.msgs}); got != tc.want {
				t.Fatalf("refusedCandidate = %d, want %d", got, tc.want)
			}
		})
	}
}
