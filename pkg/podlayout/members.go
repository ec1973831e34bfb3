package podlayout

import (
	"fmt"
	"strconv"
	"strings"
)

// Member ids of an ensemble's pods. Ids are single bytes on the wire (a
// session id's high byte, myid), so the voters' StatefulSet <name> has ids
// 1..MaxVoters (ordinal+1) and the observers' StatefulSet <name>-observer
// has ids ObserverIDBase.. (ObserverIDBase+ordinal): an observer's id says
// what it is, to the operator and to every member.
const (
	MaxVoters      = 127
	ObserverIDBase = 128
	MaxObservers   = 127
	// ObserverSetSuffix names the observers' StatefulSet: <name>-observer.
	ObserverSetSuffix = "-observer"
)

// IsObserverID reports whether id is in the observers' range: such a member
// is added as a learner and never promoted to voter.
func IsObserverID(id uint64) bool {
	return id >= ObserverIDBase && id < ObserverIDBase+MaxObservers
}

// ObserverID is the id of the observer pod with the given ordinal.
func ObserverID(ordinal int) uint64 { return ObserverIDBase + uint64(ordinal) }

// MemberPod is the pod name of member id in ensemble.
func MemberPod(ensemble string, id uint64) string {
	if IsObserverID(id) {
		return fmt.Sprintf("%s%s-%d", ensemble, ObserverSetSuffix, id-ObserverIDBase)
	}
	return fmt.Sprintf("%s-%d", ensemble, id-1)
}

// ParsePod reads a member pod's hostname into its ensemble name and member
// id: <name>-<ordinal> for a voter, <name>-observer-<ordinal> for an
// observer (the observers' pods say which they are: FlagObserver, or
// their role label for the operator, so an ensemble may be named x-observer).
func ParsePod(host string, observer bool) (ensemble string, id uint64, err error) {
	cut := strings.LastIndexByte(host, '-')
	if cut <= 0 {
		return "", 0, fmt.Errorf("hostname %q is not <ensemble>-<ordinal>", host)
	}
	ord, err := strconv.ParseUint(host[cut+1:], 10, 8)
	set := host[:cut]
	if observer {
		name, ok := strings.CutSuffix(set, ObserverSetSuffix)
		if !ok || name == "" || err != nil || ord >= MaxObservers {
			return "", 0, fmt.Errorf("hostname %q is not <ensemble>%s-<ordinal> with an ordinal below %d", host, ObserverSetSuffix, MaxObservers)
		}
		return name, ObserverID(int(ord)), nil
	}
	if err != nil || ord >= MaxVoters {
		return "", 0, fmt.Errorf("hostname %q is not <ensemble>-<ordinal> with an ordinal below %d", host, MaxVoters)
	}
	return set, ord + 1, nil
}
