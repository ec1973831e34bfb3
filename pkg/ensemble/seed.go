package ensemble

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/server/v3/etcdserver/api/snap"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// Seed is the Raft state WriteSeed gives a new member: one voter (Member)
// whose log starts with a snapshot of the state machine (Data, what
// sessionserver.StateMachine.Snapshot returns) at Index and Term.
type Seed struct {
	Member MemberInfo
	Term   uint64
	Index  uint64
	Data   []byte
}

// WriteSeed writes into dataDir (the member's log directory,
// <dataDir>/version-2, which must not hold Raft state) a snapshot file and
// a WAL that records it, with the hard state at (Term, Index): a member
// started on it restarts from the snapshot as the only voter, campaigns in
// Term+1 (so its zxids are above every zxid of an epoch up to Term), and
// others join it as learners.
func WriteSeed(dataDir string, s Seed) error {
	if s.Term == 0 || s.Index == 0 || s.Member.ID == 0 || s.Member.ID > 255 {
		return fmt.Errorf("ensemble: a seed needs a term, an index and a member id 1..255 (got %d, %d, %d)", s.Term, s.Index, s.Member.ID)
	}
	if hasRaftState(dataDir) {
		return fmt.Errorf("ensemble: %s already holds a member's log", dataDir)
	}
	walDir, snapDir := filepath.Join(dataDir, "wal"), filepath.Join(dataDir, "snap")
	if err := os.MkdirAll(snapDir, 0o750); err != nil {
		return err
	}
	members, err := json.Marshal(snapshotMembers{Members: []MemberInfo{s.Member}})
	if err != nil {
		return err
	}
	data := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(members)+len(s.Data)), uint32(len(members)))
	data = append(append(data, members...), s.Data...)
	cs := pb.ConfState{Voters: []uint64{s.Member.ID}}
	snapshot := pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{ConfState: cs, Index: s.Index, Term: s.Term}}
	lg := zap.NewNop()
	if err := snap.New(lg, snapDir).SaveSnap(snapshot); err != nil {
		return fmt.Errorf("ensemble: writing the seed snapshot: %w", err)
	}
	w, err := wal.Create(lg, walDir, nil)
	if err != nil {
		return fmt.Errorf("ensemble: creating the WAL: %w", err)
	}
	if err := w.SaveSnapshot(walpb.Snapshot{Index: s.Index, Term: s.Term, ConfState: &cs}); err != nil {
		_ = w.Close()
		return fmt.Errorf("ensemble: writing the WAL: %w", err)
	}
	if err := w.Save(pb.HardState{Term: s.Term, Commit: s.Index}, nil); err != nil {
		_ = w.Close()
		return fmt.Errorf("ensemble: writing the WAL: %w", err)
	}
	if err := w.Sync(); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}
