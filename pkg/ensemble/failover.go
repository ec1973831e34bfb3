package ensemble

import (
	"context"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Failover after a leader dies. Raft's followers wait an election timeout
// (1 to 2 s, with PreVote and CheckQuorum's lease) before they elect another
// leader; ZooKeeper's followers notice their leader's connection break and
// elect within half a second, so clients with short sessions keep them. A
// killed leader takes its streams with it: a voter whose leader's streams
// have all been gone for quorumGrace, without a message from it since,
// campaigns at once, as the target of a leadership transfer does (its vote
// requests pass the others' lease, which they have also stopped renewing).
// Voters take turns, the lowest id first, one quorumGrace apart, so they do
// not split the vote; once a new term starts, nobody forces anything. A
// leader that is alive but whose streams to this member broke loses its
// office to an election it would otherwise not have had: Raft stays safe
// (reads go through ReadIndex, not a lease), and the streams come back within
// a tick or two when the network is fine.

// leaderGoneLocked returns the term to campaign in when this member should
// campaign now, else 0. Called with quorum.mu held.
func (n *Node) leaderGoneLocked(now time.Time) uint64 {
	q := &n.quorum
	lead, term := n.leader.Load(), n.term.Load()
	if lead == 0 || lead == n.cfg.ID || q.stopped || n.removed.Load() || q.forcedTerm == term {
		return 0
	}
	down, ok := q.downAt[lead]
	if !ok || q.heard[lead].After(down) {
		return 0
	}
	turn, ok := n.voterTurn(lead)
	if !ok || now.Sub(down) < time.Duration(turn+1)*n.cfg.quorumGrace() {
		return 0
	}
	q.forcedTerm = term
	return term
}

// voterTurn is this member's place among the voters other than the leader,
// by id; false when it is not a voter.
func (n *Node) voterTurn(lead uint64) (int, bool) {
	n.memberMu.Lock()
	defer n.memberMu.Unlock()
	var ids []uint64
	for id, m := range n.members {
		if !m.Learner && id != lead {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	i := slices.Index(ids, n.cfg.ID)
	return i, i >= 0
}

// campaignNow starts an election as a leadership transfer's target does.
func (n *Node) campaignNow(term uint64) {
	lead := n.leader.Load()
	if lead == 0 || n.term.Load() != term {
		return
	}
	n.logger.Info("ensemble: the leader's streams are gone; campaigning now", "leader", lead, "term", term)
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.electionTimeout())
	defer cancel()
	_ = n.rn.Step(ctx, pb.Message{Type: pb.MsgTimeoutNow, From: lead, To: n.cfg.ID, Term: term})
}

// A voter that refuses a candidate because the candidate's log is behind
// its own (a member restarted moments ago that campaigned first, its turn
// being the lowest id) is the better candidate, and Raft would leave it
// waiting a randomized election timeout before it stands: it campaigns at
// once instead, as ZooKeeper's election moves to the most up-to-date
// member. The refusal is read from the vote response Raft sends: a refusal
// while this member has no leader and has voted for nobody in the term can
// only be the log's.

// refusedCandidate returns the term of a vote refused by this member in rd,
// else 0.
func refusedCandidate(rd raft.Ready) uint64 {
	for _, m := range rd.Messages {
		if m.Type == pb.MsgVoteResp && m.Reject {
			return m.Term
		}
	}
	return 0
}

// campaignIfBetter campaigns in term when this member refused a candidate
// of that term for its log and is still a follower without a leader or a
// vote; once per term.
func (n *Node) campaignIfBetter(term uint64) {
	st := n.rn.Status()
	if st.Term != term || st.Vote != raft.None || st.Lead != raft.None || st.RaftState != raft.StateFollower || n.removed.Load() {
		return
	}
	q := &n.quorum
	q.mu.Lock()
	if q.stopped || q.forcedTerm == term {
		q.mu.Unlock()
		return
	}
	q.forcedTerm = term
	q.mu.Unlock()
	n.logger.Info("ensemble: refused a candidate whose log is behind this member's; campaigning now", "term", term)
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.electionTimeout())
	defer cancel()
	_ = n.rn.Step(ctx, pb.Message{Type: pb.MsgTimeoutNow, To: n.cfg.ID, Term: term})
}
