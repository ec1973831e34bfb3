package ensemble

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"go.etcd.io/etcd/server/v3/etcdserver/api/snap"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// loadSnapshot reads the newest snapshot file the WAL records (walSnaps,
// oldest first), or returns nil when there is none. A recorded snapshot
// whose file is gone (purged) is passed over for an older one, but one that
// cannot be read (an I/O error, a bad checksum) stops the start-up with an
// error naming the file: the snapshot may hold state the WAL no longer has,
// so starting from an older one (etcd's Snapshotter renames the file
// ".broken" and does that, even for a passing read error) is not safe.
func loadSnapshot(lg *zap.Logger, snapDir string, walSnaps []walpb.Snapshot) (*pb.Snapshot, error) {
	for _, ws := range slices.Backward(walSnaps) {
		if ws.Index == 0 {
			continue
		}
		path := filepath.Join(snapDir, fmt.Sprintf("%016x-%016x.snap", ws.Term, ws.Index))
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		s, err := snap.Read(lg, path)
		if err != nil {
			return nil, fmt.Errorf("ensemble: reading the snapshot %s: %w", path, err)
		}
		return s, nil
	}
	return nil, nil
}
