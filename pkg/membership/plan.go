package membership

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Pod is what the controller knows of the pod that runs member ID (the
// StatefulSet ordinal ID-1).
type Pod struct {
	ID uint64
	// Exists: the pod object exists and is not being deleted.
	Exists bool
	// Ready: the pod's readiness probe passes (in the configuration, caught up).
	Ready bool
	// UpToDate: the pod runs the StatefulSet's current revision.
	UpToDate bool
	// Admin is the member's own admin status; nil when it does not answer.
	Admin *adminapi.Status
	// NotReadyFor is how long the pod has been not ready (0 when ready).
	NotReadyFor time.Duration
}

// Observation is everything one decision rests on.
type Observation struct {
	// Desired is the number of voters the spec asks for.
	Desired int
	// Replicas is the StatefulSet's replica count now.
	Replicas int
	// Pods by member id, for ids 1..Replicas (and any pod still present).
	Pods map[uint64]Pod
	// Leader is the status reported by the leader, nil when no member
	// answering knows a leader it can reach.
	Leader *adminapi.Status
	// Published are the member ids of the server list published to clients.
	Published []uint64
	// PublishedVersion is the configuration version of that list.
	PublishedVersion int64
	// NoLeaderFor is how long the ensemble has been without a leader, as
	// far as the controller knows (0 with a leader).
	NoLeaderFor time.Duration
	// DesiredObservers is the number of observers the spec asks for, and
	// ObserverReplicas their StatefulSet's replica count now (their pods
	// are in Pods under podlayout's observer ids).
	DesiredObservers int
	ObserverReplicas int
	// PublishedObservers are the observer ids of the published server list.
	PublishedObservers []uint64
}

// Action is the kind of a step.
type Action string

const (
	// Done: nothing to change.
	Done Action = "Done"
	// Wait: something under way must finish first (a pod starting, a learner
	// catching up); nothing to do this pass.
	Wait Action = "Wait"
	// Refuse: the next step would be unsafe (quorum loss, unhealthy ensemble).
	Refuse Action = "Refuse"
	// SetReplicas changes the StatefulSet's replica count.
	SetReplicas Action = "SetReplicas"
	// SetObserverReplicas changes the observers' StatefulSet's replica count.
	SetObserverReplicas Action = "SetObserverReplicas"
	// AddLearner adds the member as a non-voting learner.
	AddLearner Action = "AddLearner"
	// Promote makes a caught-up learner a voter.
	Promote Action = "Promote"
	// RemoveMember removes the member from the configuration.
	RemoveMember Action = "RemoveMember"
	// TransferLeadership moves leadership from Member to To.
	TransferLeadership Action = "TransferLeadership"
	// Publish publishes the committed voters as the client server list.
	Publish Action = "Publish"
	// RestartPod deletes the member's pod so it comes back at the current revision.
	RestartPod Action = "RestartPod"
)

// Step is the one thing to do now.
type Step struct {
	Action   Action
	Member   uint64
	To       uint64 // TransferLeadership's target
	Replicas int    // SetReplicas, SetObserverReplicas
	// Replace marks the removal of a failed member: its pod is restarted
	// after the removal commits, so it rejoins at once (not after a crash
	// loop's back-off).
	Replace bool
	// Reason says what the step is for, in words for events and conditions.
	Reason string
}

func (s Step) String() string { return fmt.Sprintf("%s(%d): %s", s.Action, s.Member, s.Reason) }

// FailedAfter is how long a voter's pod may run without being ready, while
// the leader does not hear from the member, before the member is replaced:
// removed from the configuration, then added again as a learner on whatever
// its volume now holds (a lost volume must not come back as the same voter,
// with its log and its vote forgotten).
const FailedAfter = 45 * time.Second

// quorum is the majority of n voters.
func quorum(n int) int { return n/2 + 1 }

// Plan returns the next step. It never returns more than one membership
// change, and each change is one that Raft commits with the voters it has.
func Plan(o Observation) Step {
	if o.Replicas == 0 {
		return Step{Action: SetReplicas, Replicas: 1, Reason: "start the first member, which bootstraps the ensemble"}
	}
	if o.Leader == nil {
		answering := 0
		for _, p := range o.Pods {
			if p.Admin != nil {
				answering++
			}
		}
		return Step{Action: Wait, Reason: fmt.Sprintf("no leader known: %d of %d pods answer", answering, o.Replicas)}
	}
	var voters, learners []adminapi.Member
	for _, m := range o.Leader.Members {
		if m.Role == adminapi.RoleLearner {
			learners = append(learners, m)
		} else {
			voters = append(voters, m)
		}
	}
	learners, observers := observerMembers(learners)
	sort.Slice(voters, func(i, j int) bool { return voters[i].ID < voters[j].ID })
	leaderID := o.Leader.ID
	healthy := func(except uint64) (n int, down []uint64) {
		for _, v := range voters {
			if v.ID == except {
				continue
			}
			if v.Active || v.ID == leaderID {
				n++
			} else {
				down = append(down, v.ID)
			}
		}
		return n, down
	}

	// A member that reports a lost log (its volume was deleted or replaced
	// while the leader counts on what it had acknowledged) is replaced at
	// once: removed, then added again as a learner that starts from nothing.
	for _, m := range o.Leader.Members {
		p, ok := o.Pods[m.ID]
		if m.ID == leaderID || !ok || p.Admin == nil || !p.Admin.DataLost {
			continue
		}
		if m.Role != adminapi.RoleLearner {
			if n, down := healthy(m.ID); n < quorum(len(voters)-1) {
				return Step{Action: Refuse, Member: m.ID, Reason: fmt.Sprintf("member %d lost its data, but removing it would leave %d healthy voters, below the quorum of %d (not answering: %v)", m.ID, n, quorum(len(voters)-1), down)}
			}
		}
		return Step{Action: RemoveMember, Member: m.ID, Replace: true, Reason: fmt.Sprintf("member %d lost its data (its log is behind what the leader counts on): replace it (it rejoins as a learner)", m.ID)}
	}

	// A learner is a scale-up under way: finish it, or undo it if the spec
	// no longer wants it.
	// One learner at a time: the first decides the step.
	if len(learners) > 0 {
		l := learners[0]
		if int(l.ID) > o.Desired {
			return Step{Action: RemoveMember, Member: l.ID, Reason: fmt.Sprintf("learner %d is beyond the %d members wanted", l.ID, o.Desired)}
		}
		p := o.Pods[l.ID]
		if l.Active && l.Lag == 0 && p.Admin != nil && p.Admin.CaughtUp {
			return Step{Action: Promote, Member: l.ID, Reason: fmt.Sprintf("learner %d caught up", l.ID)}
		}
		return Step{Action: Wait, Member: l.ID, Reason: fmt.Sprintf("learner %d catching up (lag %d entries)", l.ID, l.Lag)}
	}
	if s, ok := observerRemoval(o, observers); ok {
		return s
	}

	// A voter whose pod runs but has not answered the leader for a long time
	// (a crash loop, a lost volume) is replaced, if the rest keep a quorum.
	for _, v := range voters {
		p, ok := o.Pods[v.ID]
		if v.ID == leaderID || v.Active || !ok || !p.Exists || p.NotReadyFor < FailedAfter {
			continue
		}
		n, down := healthy(v.ID)
		if need := quorum(len(voters) - 1); n < need {
			return Step{Action: Refuse, Member: v.ID, Reason: fmt.Sprintf("member %d has failed for %s, but removing it would leave %d healthy voters, below the quorum of %d (not answering: %v)", v.ID, p.NotReadyFor.Round(time.Second), n, need, down)}
		}
		return Step{Action: RemoveMember, Member: v.ID, Replace: true, Reason: fmt.Sprintf("member %d has not answered the leader for %s while its pod runs: replace it (it rejoins as a learner)", v.ID, p.NotReadyFor.Round(time.Second))}
	}

	// Clients learn a change only after it has committed.
	ids := make([]uint64, len(voters))
	for i, v := range voters {
		ids[i] = v.ID
	}
	obs := make([]uint64, len(observers))
	for i, m := range observers {
		obs[i] = m.ID
	}
	if !slices.Equal(ids, sortedCopy(o.Published)) || !slices.Equal(obs, sortedCopy(o.PublishedObservers)) || o.PublishedVersion != o.Leader.ConfigVersion {
		return Step{Action: Publish, Reason: fmt.Sprintf("publish the committed server list %v, observers %v (configuration version %#x)", ids, obs, o.Leader.ConfigVersion)}
	}

	highest := uint64(0)
	if len(voters) > 0 {
		highest = voters[len(voters)-1].ID
	}
	switch {
	case o.Replicas > int(highest) && o.Replicas > o.Desired:
		// The removal has committed and is published: the pod can go.
		r := max(int(highest), o.Desired)
		return Step{Action: SetReplicas, Replicas: r, Reason: fmt.Sprintf("member %d left the configuration: shrink to %d pods", o.Replicas, r)}
	case len(voters) > o.Desired:
		k := highest
		n, down := healthy(k)
		if need := quorum(len(voters) - 1); n < need {
			return Step{Action: Refuse, Member: k, Reason: fmt.Sprintf("removing member %d would leave %d healthy voters of %d, below the quorum of %d (not answering: %v)", k, n, len(voters)-1, need, down)}
		}
		if k == leaderID {
			to := bestSuccessor(voters, k)
			if to == 0 {
				return Step{Action: Refuse, Member: k, Reason: fmt.Sprintf("member %d leads and no other voter is caught up to take over", k)}
			}
			return Step{Action: TransferLeadership, Member: k, To: to, Reason: fmt.Sprintf("member %d leads and is about to be removed", k)}
		}
		return Step{Action: RemoveMember, Member: k, Reason: fmt.Sprintf("scale down from %d to %d voters", len(voters), o.Desired)}
	case len(voters) < o.Desired:
		// The lowest id missing: after a failed member was replaced, its id.
		k := uint64(1)
		for slices.ContainsFunc(voters, func(v adminapi.Member) bool { return v.ID == k }) {
			k++
		}
		if n, down := healthy(0); len(down) > 0 {
			return Step{Action: Refuse, Member: k, Reason: fmt.Sprintf("scale-up waits for a healthy ensemble: %d of %d voters answer the leader (not answering: %v)", n, len(voters), down)}
		}
		if o.Replicas < int(k) {
			return Step{Action: SetReplicas, Member: k, Replicas: int(k), Reason: fmt.Sprintf("start the pod of member %d", k)}
		}
		p := o.Pods[k]
		if !p.Exists || p.Admin == nil {
			return Step{Action: Wait, Member: k, Reason: fmt.Sprintf("waiting for the pod of member %d to answer", k)}
		}
		if p.Admin.Removed {
			// A removed member stays up on its old state, serving nothing,
			// until it is stopped: restarted, it moves that state aside
			// and waits to be added afresh.
			return Step{Action: RestartPod, Member: k, Reason: fmt.Sprintf("member %d still runs on the state it was removed with: restart it so it joins afresh", k)}
		}
		return Step{Action: AddLearner, Member: k, Reason: fmt.Sprintf("scale up from %d to %d voters", len(voters), o.Desired)}
	}

	if s, ok := observerScaling(o, observers); ok {
		return s
	}

	// Rolling changes: observers, then followers, one at a time, the leader last.
	var stale []uint64
	for _, m := range append(slices.Clone(observers), voters...) {
		if p, ok := o.Pods[m.ID]; ok && p.Exists && !p.UpToDate {
			stale = append(stale, m.ID)
		}
	}
	if len(stale) == 0 {
		return Step{Action: Done, Reason: fmt.Sprintf("%d voters, %d observers, configuration version %#x", len(voters), len(observers), o.Leader.ConfigVersion)}
	}
	for _, m := range observers {
		if p := o.Pods[m.ID]; !p.Exists || !p.Ready {
			return Step{Action: Wait, Member: m.ID, Reason: fmt.Sprintf("rolling update waits for observer %d to be ready", m.ID)}
		}
	}
	for _, v := range voters {
		p := o.Pods[v.ID]
		if !p.Exists || !p.Ready || !v.Active && v.ID != leaderID || v.Lag > 0 {
			return Step{Action: Wait, Member: v.ID, Reason: fmt.Sprintf("rolling update waits for member %d to be ready and caught up", v.ID)}
		}
	}
	for _, id := range stale {
		if id != leaderID {
			return Step{Action: RestartPod, Member: id, Reason: fmt.Sprintf("roll member %d to the new revision (%d left)", id, len(stale))}
		}
	}
	to := bestSuccessor(voters, leaderID)
	if to == 0 {
		if len(voters) == 1 {
			return Step{Action: RestartPod, Member: leaderID, Reason: "roll the only member to the new revision"}
		}
		return Step{Action: Refuse, Member: leaderID, Reason: "the leader needs rolling and no other voter is caught up to take over"}
	}
	return Step{Action: TransferLeadership, Member: leaderID, To: to, Reason: fmt.Sprintf("roll the leader %d last: hand leadership to %d first", leaderID, to)}
}

// bestSuccessor is the caught-up, active voter other than from with the
// highest match index (0: none).
func bestSuccessor(voters []adminapi.Member, from uint64) uint64 {
	var best *adminapi.Member
	for i := range voters {
		v := &voters[i]
		if v.ID == from || !v.Active || v.Lag > 0 {
			continue
		}
		if best == nil || v.Match > best.Match {
			best = v
		}
	}
	if best == nil {
		return 0
	}
	return best.ID
}

func sortedCopy(ids []uint64) []uint64 {
	c := slices.Clone(ids)
	slices.Sort(c)
	return c
}
