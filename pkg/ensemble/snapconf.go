package ensemble

import "slices"

// snapshotLacksMember reports whether the newest snapshot leaves out a
// member of the current configuration. A member added after it (a learner
// joining a member seeded from a backup, or an ensemble whose log was
// compacted) can only be caught up with a snapshot, and Raft refuses one
// whose configuration does not name it, so a new snapshot is due. Without
// a snapshot the log is whole and a new member replays it.
func (n *Node) snapshotLacksMember() bool {
	if n.snapshotIndex == 0 {
		return false
	}
	snap, err := n.store.mem.Snapshot()
	if err != nil {
		return false
	}
	have := snap.Metadata.ConfState
	for _, id := range slices.Concat(n.confState.Voters, n.confState.Learners) {
		if !slices.Contains(have.Voters, id) && !slices.Contains(have.Learners, id) && !slices.Contains(have.VotersOutgoing, id) {
			return true
		}
	}
	return false
}
