package membership

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Recovery after losing a majority. When the logs of a majority of voters
// are gone for good no leader can ever be elected again, and no membership
// step can help (each needs a quorum): the planner says so (QuorumLoss) and
// takes no step. The way back is the user's call, since it may lose writes
// acknowledged only by the lost members: they name a survivor, and the
// survivor restarts as an ensemble of one on its own log (pkg/ensemble,
// forcenew.go); the usual steps then add the other members again.

// QuorumLostAfter is how long an ensemble must have been without a leader
// before its loss is declared.
const QuorumLostAfter = 30 * time.Second

// Actions of a recovery.
const (
	// ForceNewCluster asks the survivor Member to restart as the only voter.
	ForceNewCluster Action = "ForceNewCluster"
	// RestartSurvivor restarts the survivor's pod so it reads the request.
	RestartSurvivor Action = "RestartSurvivor"
	// FinishRecovery: the survivor leads; the request is withdrawn and the
	// usual steps take over.
	FinishRecovery Action = "FinishRecovery"
	// DropRecoveryRequest withdraws a request made while no quorum was lost.
	DropRecoveryRequest Action = "DropRecoveryRequest"
)

// Survivor is a voter whose member answers with its log.
type Survivor struct {
	ID           uint64
	AppliedIndex uint64
	Zxid         int64
}

// Loss describes a majority of voters lost for good.
type Loss struct {
	// Voters of the newest configuration a survivor holds.
	Voters []uint64
	// Survivors, the most advanced (highest applied index) first.
	Survivors []Survivor
	// Lost are voters whose member answers with an empty log (its volume
	// was replaced); Silent, those whose member does not answer.
	Lost, Silent []uint64
}

// Most is the most advanced survivor.
func (l *Loss) Most() Survivor { return l.Survivors[0] }

// Survivor returns the survivor id, if it is one.
func (l *Loss) Survivor(id uint64) (Survivor, bool) {
	for _, s := range l.Survivors {
		if s.ID == id {
			return s, true
		}
	}
	return Survivor{}, false
}

// Message describes the loss and the way back, for a condition and an event.
func (l *Loss) Message(annotate string) string {
	var sv []string
	for _, s := range l.Survivors {
		sv = append(sv, fmt.Sprintf("%d (applied index %d, zxid %#x)", s.ID, s.AppliedIndex, s.Zxid))
	}
	return fmt.Sprintf("no leader, and a majority of the voters %v lost their logs for good (lost: %v, not answering: %v). "+
		"Survivors: %s; the most advanced is member %d. Writes acknowledged only by the lost members are gone either way. "+
		"To rebuild the ensemble from it: %s (or restore from a backup)",
		l.Voters, l.Lost, l.Silent, strings.Join(sv, ", "), l.Most().ID, fmt.Sprintf(annotate, strconv.FormatUint(l.Most().ID, 10)))
}

// QuorumLoss reports a majority of voters lost for good, or nil: no
// leader for QuorumLostAfter, and more voters (of the newest configuration
// an answering member holds) answer with an empty log than the ensemble
// can lose, so no quorum can form even if the silent ones come back.
func QuorumLoss(o Observation) *Loss { return quorumLoss(o, false) }

// quorumLoss is QuorumLoss; silentLost counts the voters that do not
// answer as lost too (the user asserts it: their pods cannot even start).
func quorumLoss(o Observation, silentLost bool) *Loss {
	if o.Leader != nil || o.NoLeaderFor < QuorumLostAfter {
		return nil
	}
	var newest *adminapi.Status
	for _, p := range o.Pods {
		if a := p.Admin; a != nil && len(a.Members) > 0 && (newest == nil || a.AppliedIndex > newest.AppliedIndex) {
			newest = a
		}
	}
	if newest == nil {
		return nil
	}
	l := &Loss{}
	for _, m := range newest.Members {
		if m.Role == adminapi.RoleLearner {
			continue
		}
		l.Voters = append(l.Voters, m.ID)
		p, ok := o.Pods[m.ID]
		switch {
		case !ok || !p.Exists || p.Admin == nil:
			l.Silent = append(l.Silent, m.ID)
		case len(p.Admin.Members) == 0 && p.Admin.AppliedIndex == 0:
			l.Lost = append(l.Lost, m.ID)
		default:
			l.Survivors = append(l.Survivors, Survivor{ID: m.ID, AppliedIndex: p.Admin.AppliedIndex, Zxid: p.Admin.Zxid})
		}
	}
	sort.Slice(l.Voters, func(i, j int) bool { return l.Voters[i] < l.Voters[j] })
	sort.Slice(l.Survivors, func(i, j int) bool {
		a, b := l.Survivors[i], l.Survivors[j]
		return a.AppliedIndex > b.AppliedIndex || a.AppliedIndex == b.AppliedIndex && a.ID < b.ID
	})
	lost := len(l.Lost)
	if silentLost {
		lost += len(l.Silent)
	}
	if len(l.Survivors) == 0 || lost <= len(l.Voters)-quorum(len(l.Voters)) {
		return nil
	}
	return l
}

// RecoveryRequest is the user's request: rebuild from Member; with
// AcceptDataLoss even if another survivor is more advanced.
type RecoveryRequest struct {
	Member         uint64
	AcceptDataLoss bool
}

// ParseRecoveryRequest parses "<member-id>" or "<member-id>/accept-data-loss".
func ParseRecoveryRequest(s string) (RecoveryRequest, error) {
	idText, rest, found := strings.Cut(strings.TrimSpace(s), "/")
	id, err := strconv.ParseUint(idText, 10, 8)
	if err != nil || id == 0 || found && rest != "accept-data-loss" {
		return RecoveryRequest{}, fmt.Errorf("%q is not <member-id> or <member-id>/accept-data-loss", s)
	}
	return RecoveryRequest{Member: id, AcceptDataLoss: found}, nil
}

// RecoveryProgress is a recovery under way, as recorded in the status.
type RecoveryProgress struct {
	Member uint64
	// Restarted: the survivor's pod was restarted after the request was
	// written for it.
	Restarted bool
}

// PlanRecovery is the step of a recovery: loss is QuorumLoss(o), req the
// user's request (nil: none), prog the recovery under way (nil: none).
// Without a request it waits (taking no membership step); with one it
// checks the member named is the most advanced survivor (or the user
// accepts the loss), then has it forced, restarted, and done.
func PlanRecovery(o Observation, loss *Loss, req *RecoveryRequest, prog *RecoveryProgress) Step {
	if prog != nil {
		if l := o.Leader; l != nil && l.ID == prog.Member {
			return Step{Action: FinishRecovery, Member: prog.Member, Reason: fmt.Sprintf("member %d leads the rebuilt ensemble: the other members are added again as new ones", prog.Member)}
		}
		if !prog.Restarted {
			return Step{Action: RestartSurvivor, Member: prog.Member, Reason: fmt.Sprintf("restart member %d as the only voter of a new configuration", prog.Member)}
		}
		if p, ok := o.Pods[prog.Member]; ok && p.Exists && p.Admin != nil && voters(p.Admin) > 1 && p.NotReadyFor > QuorumLostAfter {
			// Its pod started without the request (or before it was written).
			return Step{Action: RestartSurvivor, Member: prog.Member, Reason: fmt.Sprintf("member %d restarted but still has %d voters: restart it again to read the request", prog.Member, voters(p.Admin))}
		}
		return Step{Action: Wait, Member: prog.Member, Reason: fmt.Sprintf("waiting for member %d to start as the only voter and lead", prog.Member)}
	}
	if req == nil {
		if loss == nil {
			return Plan(o)
		}
		return Step{Action: Wait, Member: loss.Most().ID, Reason: "quorum lost: waiting for the user to choose a survivor"}
	}
	if loss == nil && req.AcceptDataLoss {
		// The user asserts that the voters that do not answer lost their logs.
		loss = quorumLoss(o, true)
	}
	if loss == nil {
		why := "a leader serves"
		if o.Leader == nil {
			why = fmt.Sprintf("no leader, but the loss of a majority is not established (declared after %s without a leader, when more voters answer with an empty log than the ensemble can lose; \"<id>/accept-data-loss\" counts those that do not answer as lost)", QuorumLostAfter)
		}
		return Step{Action: DropRecoveryRequest, Member: req.Member, Reason: fmt.Sprintf("force-new-cluster from member %d refused and withdrawn: %s", req.Member, why)}
	}
	s, ok := loss.Survivor(req.Member)
	if !ok {
		return Step{Action: Refuse, Member: req.Member, Reason: fmt.Sprintf("force-new-cluster refused: member %d is not a survivor (survivors: %v)", req.Member, survivorIDs(loss))}
	}
	if most := loss.Most(); s.AppliedIndex < most.AppliedIndex && !req.AcceptDataLoss {
		return Step{Action: Refuse, Member: req.Member, Reason: fmt.Sprintf("force-new-cluster refused: member %d applied up to %d, member %d up to %d; name member %d, or confirm with \"%d/accept-data-loss\" to lose the %d entries only member %d has",
			s.ID, s.AppliedIndex, most.ID, most.AppliedIndex, most.ID, s.ID, most.AppliedIndex-s.AppliedIndex, most.ID)}
	}
	gone := append(append([]uint64(nil), loss.Lost...), loss.Silent...)
	return Step{Action: ForceNewCluster, Member: req.Member, Reason: fmt.Sprintf("rebuild the ensemble from member %d (applied index %d): writes acknowledged only by members %v are gone", s.ID, s.AppliedIndex, gone)}
}

func voters(st *adminapi.Status) int {
	n := 0
	for _, m := range st.Members {
		if m.Role != adminapi.RoleLearner {
			n++
		}
	}
	return n
}

func survivorIDs(l *Loss) []uint64 {
	ids := make([]uint64, len(l.Survivors))
	for i, s := range l.Survivors {
		ids[i] = s.ID
	}
	return ids
}
