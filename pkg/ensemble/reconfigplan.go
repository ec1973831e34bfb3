package ensemble

import (
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/serverspec"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// reconfigPlan is a reconfig request read against the configuration: the
// members to add, the ones whose server line changes, the ids to remove.
type reconfigPlan struct {
	joins   []MemberInfo
	updates []MemberInfo
	leaves  []uint64
}

// parseReconfig reads the request as ZooKeeper's PrepRequestProcessor does:
// a malformed server line is BadArguments, a leaving id that is not a
// number MarshallingError (ZooKeeper 3.8 fails its Long.parseLong there).
// It needs only the request, so a member checks it before forwarding.
func parseReconfig(joining, leaving, newMembers string) (specs []serverspec.Spec, leaves []uint64, code wire.ErrCode) {
	if newMembers != "" {
		joining, leaving = newMembers, ""
	}
	for _, line := range splitList(joining) {
		s, err := serverspec.ParseLine(line)
		if err != nil {
			return nil, nil, wire.ErrBadArguments
		}
		specs = append(specs, s)
	}
	for _, f := range splitList(leaving) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, nil, wire.ErrMarshallingError
		}
		if id > 0 && id < 256 {
			leaves = append(leaves, uint64(id))
		}
	}
	return specs, leaves, wire.ErrOK
}

// plan turns a parsed request into changes against the current members.
// newMembers lists the whole configuration: members it leaves out go.
func (n *Node) plan(specs []serverspec.Spec, leaves []uint64, whole bool) (reconfigPlan, wire.ErrCode) {
	var p reconfigPlan
	current := map[uint64]MemberInfo{}
	for _, m := range n.Members() {
		current[m.ID] = m
	}
	listed := map[uint64]bool{}
	for _, s := range specs {
		listed[s.ID] = true
		want := memberOf(s)
		old, ok := current[s.ID]
		switch {
		case !ok:
			p.joins = append(p.joins, want)
		case old.Learner != want.Learner && !old.Learner:
			// A voter cannot become an observer in one step (Raft would need a
			// joint configuration): remove it and add it again.
			return p, wire.ErrBadArguments
		case old != want:
			p.updates = append(p.updates, want)
		}
	}
	if whole {
		for id := range current {
			if !listed[id] {
				leaves = append(leaves, id)
			}
		}
	}
	p.leaves = leaves
	// At least one voter must remain (ZooKeeper: BadArguments).
	voters := map[uint64]bool{}
	for id, m := range current {
		voters[id] = !m.Learner
	}
	for _, m := range append(append([]MemberInfo(nil), p.joins...), p.updates...) {
		voters[m.ID] = !m.Learner
	}
	for _, id := range p.leaves {
		delete(voters, id)
	}
	left := 0
	for _, v := range voters {
		if v {
			left++
		}
	}
	if left < 1 {
		return p, wire.ErrBadArguments
	}
	return p, wire.ErrOK
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
