package membership

import (
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Switchover returns the step that makes voter to the leader, asked for by
// a person (not by the planner): Done when it already leads, Refuse when it
// cannot lead (not a voter of the configuration), Wait while it or the
// leader is not ready for the handover (to is behind, or not heard from),
// else TransferLeadership. Call it only when Plan has nothing to do: a
// handover never races a membership change or a rolling update.
func Switchover(o Observation, to uint64) Step {
	if o.Leader == nil {
		return Step{Action: Wait, Member: to, Reason: "switchover waits for a leader"}
	}
	if o.Leader.ID == to {
		return Step{Action: Done, Member: to, Reason: fmt.Sprintf("member %d leads", to)}
	}
	for _, m := range o.Leader.Members {
		if m.ID != to {
			continue
		}
		if m.Role == adminapi.RoleLearner {
			return Step{Action: Refuse, Member: to, Reason: fmt.Sprintf("switchover to member %d refused: it is a learner, not a voter", to)}
		}
		if !m.Active || m.Lag > 0 {
			return Step{Action: Wait, Member: to, Reason: fmt.Sprintf("switchover waits for member %d to catch up (lag %d entries, heard from: %t)", to, m.Lag, m.Active)}
		}
		return Step{Action: TransferLeadership, Member: o.Leader.ID, To: to, Reason: fmt.Sprintf("switchover asked for: member %d hands leadership to %d", o.Leader.ID, to)}
	}
	return Step{Action: Refuse, Member: to, Reason: fmt.Sprintf("switchover to member %d refused: it is not a member of the configuration", to)}
}
