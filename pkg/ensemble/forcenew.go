package ensemble

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Recovery after losing a majority (etcd's --force-new-cluster). When the
// logs of a majority of voters are gone for good, no leader can be elected
// again. ForceNewCluster rewrites a survivor's log, offline, before the
// member starts, so that it is the only voter:
//   - every entry it holds is kept and committed. etcd drops the entries
//     beyond the commit index the member knew; we keep them, because a
//     follower learns the commit index one heartbeat late, so the entries
//     past it may well be writes the leader acknowledged. The price: an
//     entry that never committed (its client got no answer, or a connection
//     loss) becomes committed;
//   - every other member (voter or learner) is removed by a configuration
//     change appended after them, in the member's current term, and
//     committed with them: the member applies them like any other, so
//     /zookeeper/config and the published membership follow, and the ids may
//     be added again (as new, empty learners, through the usual flow);
//   - entries acknowledged only by the lost members are gone.
//
// It is asked for with "<ensemble-id>/<member-id>/<nonce>", which must name
// this ensemble and member, and is done once per request: the request is
// recorded in the data directory (forceMarker) when done, and the same
// request again (the flag left on the command line across restarts) does
// nothing.

// forceMarker, in the log directory, records the last request carried out.
const forceMarker = "force-new-cluster"

// ErrForceRefused: the request does not apply to this data directory.
var ErrForceRefused = errors.New("ensemble: force-new-cluster refused")

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ForceRequest is a parsed force-new-cluster request.
type ForceRequest struct {
	EnsembleID string
	Member     uint64
	Nonce      string
}

func (r ForceRequest) String() string {
	return fmt.Sprintf("%s/%d/%s", r.EnsembleID, r.Member, r.Nonce)
}

// ParseForceRequest parses "<ensemble-id>/<member-id>/<nonce>" (the
// ensemble id may itself hold no slash; the nonce is 1..64 of
// [A-Za-z0-9._-]).
func ParseForceRequest(s string) (ForceRequest, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 || parts[0] == "" {
		return ForceRequest{}, fmt.Errorf("%w: %q is not <ensemble-id>/<member-id>/<nonce>", ErrForceRefused, s)
	}
	id, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil || id == 0 {
		return ForceRequest{}, fmt.Errorf("%w: %q: member id %q is not 1..255", ErrForceRefused, s, parts[1])
	}
	if !nonceRE.MatchString(parts[2]) {
		return ForceRequest{}, fmt.Errorf("%w: %q: the nonce must be 1 to 64 of A-Z a-z 0-9 . _ -", ErrForceRefused, s)
	}
	return ForceRequest{EnsembleID: parts[0], Member: id, Nonce: parts[2]}, nil
}

// ForceResult says what ForceNewCluster did.
type ForceResult struct {
	// AlreadyDone: the request was carried out before; nothing changed.
	AlreadyDone bool
	// Removed are the members removed from the configuration.
	Removed []uint64
	// KnownCommit is the commit index the member knew; LastIndex the last
	// entry it holds, now committed (the entries between were not known to
	// be committed); Term the term of the appended changes.
	KnownCommit, LastIndex, Term uint64
}

// ForceNewCluster carries out request on the member's log in dir (the log
// directory, dataDir/version-2) for member `member` of ensemble
// `ensembleID`, before the member starts (see above); walDir is where its
// WAL is ("": dir/wal, else dataLogDir's). It refuses a request
// naming another ensemble or member, a directory without a log, and a
// member that is not a voter.
func ForceNewCluster(dir, walDir, ensembleID string, member uint64, request string, logger *slog.Logger) (ForceResult, error) {
	req, err := ParseForceRequest(request)
	if err != nil {
		return ForceResult{}, err
	}
	if req.EnsembleID != ensembleID || req.Member != member {
		return ForceResult{}, fmt.Errorf("%w: the request names ensemble %q member %d, this is ensemble %q member %d",
			ErrForceRefused, req.EnsembleID, req.Member, ensembleID, member)
	}
	if done, err := os.ReadFile(filepath.Join(dir, forceMarker)); err == nil && strings.TrimSpace(string(done)) == req.String() {
		return ForceResult{AlreadyDone: true}, nil
	}
	if !hasRaftState(dir, walDir) {
		return ForceResult{}, fmt.Errorf("%w: %s holds no log to recover from", ErrForceRefused, dir)
	}
	if logger == nil {
		logger = slog.Default()
	}
	s, err := openStorage(dir, walDir, math.MaxInt, zapLogger(logger))
	if err != nil {
		return ForceResult{}, err
	}
	res, err := forceLog(s, member)
	if cerr := s.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ForceResult{}, err
	}
	return res, writeFileAtomic(filepath.Join(dir, forceMarker), []byte(req.String()+"\n"))
}

// forceLog appends the removals and commits the whole log.
func forceLog(s *storage, self uint64) (ForceResult, error) {
	hs, _, err := s.mem.InitialState()
	if err != nil {
		return ForceResult{}, err
	}
	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	var ents []pb.Entry
	if last >= first {
		if ents, err = s.mem.Entries(first, last+1, math.MaxUint64); err != nil {
			return ForceResult{}, err
		}
	}
	voters, learners := configAfter(s.snapshot, ents)
	if !voters[self] {
		return ForceResult{}, fmt.Errorf("%w: member %d is not a voter in its log's last configuration (voters %v, learners %v); recover from a voter",
			ErrForceRefused, self, sortedIDs(voters), sortedIDs(learners))
	}
	res := ForceResult{KnownCommit: hs.Commit, Term: hs.Term}
	now := time.Now().UnixMilli()
	var add []pb.Entry
	for _, id := range sortedIDs(voters, learners) {
		if id == self {
			continue
		}
		cctx, _ := json.Marshal(ccContext{Member: MemberInfo{ID: id}, Time: now})
		cc := pb.ConfChange{Type: pb.ConfChangeRemoveNode, NodeID: id, Context: cctx}
		data, err := cc.Marshal()
		if err != nil {
			return ForceResult{}, err
		}
		add = append(add, pb.Entry{Type: pb.EntryConfChange, Term: hs.Term, Index: last + 1 + uint64(len(add)), Data: data})
		res.Removed = append(res.Removed, id)
	}
	res.LastIndex = last + uint64(len(add))
	hs.Commit = res.LastIndex
	if err := s.wal.Save(hs, add); err != nil {
		return ForceResult{}, s.walErr(err)
	}
	// A commit-only change is not synced by Save.
	if err := s.wal.Sync(); err != nil {
		return ForceResult{}, s.walErr(err)
	}
	return res, nil
}

// configAfter is the configuration after the snapshot and the entries.
func configAfter(snap *pb.Snapshot, ents []pb.Entry) (voters, learners map[uint64]bool) {
	voters, learners = map[uint64]bool{}, map[uint64]bool{}
	if snap != nil && !raft.IsEmptySnap(*snap) {
		for _, id := range snap.Metadata.ConfState.Voters {
			voters[id] = true
		}
		for _, id := range snap.Metadata.ConfState.Learners {
			learners[id] = true
		}
	}
	for _, e := range ents {
		if e.Type != pb.EntryConfChange {
			continue
		}
		var cc pb.ConfChange
		if cc.Unmarshal(e.Data) != nil {
			continue
		}
		switch cc.Type {
		case pb.ConfChangeAddNode:
			voters[cc.NodeID] = true
			delete(learners, cc.NodeID)
		case pb.ConfChangeAddLearnerNode:
			delete(voters, cc.NodeID)
			learners[cc.NodeID] = true
		case pb.ConfChangeRemoveNode:
			delete(voters, cc.NodeID)
			delete(learners, cc.NodeID)
		}
	}
	return voters, learners
}

func sortedIDs(sets ...map[uint64]bool) []uint64 {
	var out []uint64
	for _, set := range sets {
		for id, in := range set {
			if in {
				out = append(out, id)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
