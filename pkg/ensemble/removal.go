package ensemble

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A member's removal: the record of it in the data directory, the member
// table in snapshots (with the tombstones of removed ids), and what the
// leader tells a member it removes.

// Removed reports whether this member has been removed from the configuration.
func (n *Node) Removed() bool { return n.removed.Load() }

// snapshotMembers is the member table as a snapshot records it.
type snapshotMembers struct {
	Members    []MemberInfo      `json:"members"`
	Tombstones map[uint64]uint64 `json:"tombstones,omitempty"`
}

// snapshot data: the member table (length-prefixed JSON), then the state machine's snapshot.
func (n *Node) encodeSnapshot(sm []byte) []byte {
	n.memberMu.Lock()
	tomb := make(map[uint64]uint64, len(n.tombstones))
	for id, i := range n.tombstones {
		tomb[id] = i
	}
	n.memberMu.Unlock()
	members, _ := json.Marshal(snapshotMembers{Members: n.Members(), Tombstones: tomb})
	out := binary.BigEndian.AppendUint32(nil, uint32(len(members)))
	out = append(out, members...)
	return append(out, sm...)
}

func (n *Node) decodeSnapshot(b []byte) ([]byte, error) {
	if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
		return nil, errors.New("ensemble: malformed snapshot")
	}
	l := binary.BigEndian.Uint32(b)
	var sm snapshotMembers
	if err := json.Unmarshal(b[4:4+l], &sm); err != nil {
		return nil, fmt.Errorf("ensemble: snapshot members: %w", err)
	}
	n.memberMu.Lock()
	old := n.members
	n.members = map[uint64]MemberInfo{}
	n.tombstones = map[uint64]uint64{}
	for id, i := range sm.Tombstones {
		n.tombstones[id] = i
	}
	for _, m := range sm.Members {
		n.members[m.ID] = m
		if m.PeerAddr != "" {
			n.transport.AddPeer(m.ID, m.PeerAddr)
		}
	}
	for id := range old {
		if _, ok := n.members[id]; !ok && id != n.cfg.ID {
			n.transport.RemovePeer(id)
		}
	}
	_, self := n.members[n.cfg.ID]
	_, gone := n.tombstones[n.cfg.ID]
	n.memberMu.Unlock()
	if gone && !self {
		n.removed.Store(true)
	} else if self && n.removed.Swap(false) {
		n.clearRemoved()
	}
	return b[4+l:], nil
}

// markRemoved records in the data directory that this member was removed,
// so that a restart with this state is refused (see New).
func (n *Node) markRemoved() {
	path := filepath.Join(n.cfg.DataDir, removedMarker)
	if _, err := os.Stat(path); err == nil {
		return
	}
	msg := fmt.Sprintf("member %d was removed from ensemble %q", n.cfg.ID, n.cfg.EnsembleID)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(msg), 0o640); err == nil {
		err = os.Rename(tmp, path)
		if err != nil {
			n.logger.Warn("ensemble: recording the removal", "err", err)
		}
	}
}

// clearRemoved forgets a recorded removal once the member is in the
// configuration again.
func (n *Node) clearRemoved() {
	if err := os.Remove(filepath.Join(n.cfg.DataDir, removedMarker)); err != nil && !os.IsNotExist(err) {
		n.logger.Warn("ensemble: clearing the removal record", "err", err)
	}
	n.logger.Info("ensemble: this member is in the configuration again")
}
