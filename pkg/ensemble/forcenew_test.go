package ensemble

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

func TestParseForceRequest(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ForceRequest
		err  bool
	}{
		{in: "uid-1/2/n1", want: ForceRequest{EnsembleID: "uid-1", Member: 2, Nonce: "n1"}},
		{in: " e/255/2026-12-07T06.00_x \n", want: ForceRequest{EnsembleID: "e", Member: 255, Nonce: "2026-12-07T06.00_x"}},
		{in: "", err: true},
		{in: "e/2", err: true},
		{in: "/2/n", err: true},
		{in: "e/0/n", err: true},
		{in: "e/256/n", err: true},
		{in: "e/x/n", err: true},
		{in: "e/2/", err: true},
		{in: "e/2/a/b", err: true},
		{in: "e/2/bad nonce", err: true},
		{in: "e/2/" + string(make([]byte, 65)), err: true},
	} {
		got, err := ParseForceRequest(tc.in)
		if tc.err {
			if !errors.Is(err, ErrForceRefused) {
				t.Errorf("%q: got %+v %v, want ErrForceRefused", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestForceNewCluster: three members write (past a snapshot), two lose
// their logs for good; the survivor, forced, keeps every write, is the only
// voter (by committed removals it applied), takes writes in a later term,
// and the lost ids join again as new members. Requests that do not match
// the directory are refused and change nothing; the same request again does
// nothing.
func TestForceNewCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := cluster(t, 3, 20)
	leader := waitLeader(t, ms)
	for i := 0; i < 50; i++ {
		propose(t, leader, fmt.Sprintf("k%d", i), "v")
	}
	waitConverged(t, ms, "k49", "v")
	survivor := ms[0]
	oldTerm := survivor.node.Term()
	for _, m := range ms {
		m.node.Stop()
	}
	for _, m := range ms[1:] {
		if err := os.RemoveAll(m.cfg.DataDir); err != nil {
			t.Fatal(err)
		}
	}
	dir := survivor.cfg.DataDir
	for _, req := range []string{"other/1/n1", "test/2/n1", "test/1/bad nonce"} {
		if _, err := ForceNewCluster(dir, "", "test", 1, req, quietLogger()); !errors.Is(err, ErrForceRefused) {
			t.Fatalf("request %q: %v, want ErrForceRefused", req, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, forceMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused request left a marker: %v", err)
	}
	if _, err := ForceNewCluster(t.TempDir(), "", "test", 1, "test/1/n1", quietLogger()); !errors.Is(err, ErrForceRefused) {
		t.Fatalf("an empty directory: %v, want ErrForceRefused", err)
	}
	res, err := ForceNewCluster(dir, "", "test", 1, "test/1/n1", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Removed, []uint64{2, 3}) || res.LastIndex < res.KnownCommit+2 {
		t.Fatalf("forced: %+v", res)
	}
	again, err := ForceNewCluster(dir, "", "test", 1, "test/1/n1", quietLogger())
	if err != nil || !again.AlreadyDone {
		t.Fatalf("the same request again: %+v %v, want already done", again, err)
	}

	survivor.start(t) // its Peers still list the lost members
	waitLeader(t, ms[:1])
	for i := 0; i < 50; i++ {
		if v, _ := survivor.sm.get(fmt.Sprintf("k%d", i)); v != "v" {
			t.Fatalf("k%d lost by the forced restart", i)
		}
	}
	if got := survivor.node.Members(); len(got) != 1 || got[0].ID != 1 || got[0].Learner {
		t.Fatalf("members after the forced restart: %+v", got)
	}
	survivor.sm.mu.Lock()
	configs := survivor.sm.configs
	survivor.sm.mu.Unlock()
	if configs == 0 {
		t.Fatal("the removals did not rewrite /zookeeper/config")
	}
	propose(t, survivor, "after", "v")
	if term := survivor.node.Term(); term <= oldTerm {
		t.Fatalf("term %d after the forced restart, was %d: zxids must keep increasing", term, oldTerm)
	}

	// The lost ids come back as new members, through the usual flow.
	for _, m := range ms[1:] {
		m.cfg.Join = true
		m.start(t)
		readd(t, ctx, survivor, m)
	}
	waitConverged(t, ms, "after", "v")
	waitConverged(t, ms, "k0", "v")
	propose(t, ms[2], "three", "v")
	waitConverged(t, ms, "three", "v")
	if st := survivor.node.Status(); len(st.Config.Voters.IDs()) != 3 {
		t.Fatalf("voters at the end: %v", st.Config.Voters.IDs())
	}
}

// writeLog writes a member's log as Raft would have left it.
func writeLog(t *testing.T, dir string, hs pb.HardState, ents []pb.Entry) {
	t.Helper()
	s, err := openStorage(dir, "", 3, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.wal.Save(hs, ents); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}

func confEntry(t *testing.T, index, term uint64, typ pb.ConfChangeType, id uint64) pb.Entry {
	t.Helper()
	data, err := (&pb.ConfChange{Type: typ, NodeID: id}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return pb.Entry{Type: pb.EntryConfChange, Index: index, Term: term, Data: data}
}

// TestForceKeepsEntriesPastTheKnownCommit: the entries after the commit
// index the member knew (a follower learns it a heartbeat late: they may be
// acknowledged writes) are kept and committed, after which come the
// removals, in the member's term. A learner is refused.
func TestForceKeepsEntriesPastTheKnownCommit(t *testing.T) {
	dir := t.TempDir()
	ents := []pb.Entry{
		confEntry(t, 1, 1, pb.ConfChangeAddNode, 1), confEntry(t, 2, 1, pb.ConfChangeAddNode, 2), confEntry(t, 3, 1, pb.ConfChangeAddNode, 3),
		{Index: 4, Term: 2, Data: []byte("a=1")}, {Index: 5, Term: 2, Data: []byte("b=2")}, {Index: 6, Term: 2, Data: []byte("c=3")},
	}
	writeLog(t, dir, pb.HardState{Term: 3, Vote: 2, Commit: 4}, ents)
	res, err := ForceNewCluster(dir, "", "e", 1, "e/1/x", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if want := (ForceResult{Removed: []uint64{2, 3}, KnownCommit: 4, LastIndex: 8, Term: 3}); !reflect.DeepEqual(res, want) {
		t.Fatalf("got %+v, want %+v", res, want)
	}
	s, err := openStorage(dir, "", 3, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.close() }()
	hs, _, _ := s.mem.InitialState()
	got, err := s.mem.Entries(5, 9, math.MaxUint64)
	if err != nil || hs.Commit != 8 || hs.Term != 3 || len(got) != 4 || string(got[1].Data) != "c=3" {
		t.Fatalf("after: hard state %+v, entries %+v, %v", hs, got, err)
	}
	for i, id := range []uint64{2, 3} {
		var cc pb.ConfChange
		if e := got[2+i]; e.Type != pb.EntryConfChange || e.Term != 3 || cc.Unmarshal(e.Data) != nil || cc.Type != pb.ConfChangeRemoveNode || cc.NodeID != id {
			t.Fatalf("entry %d: %+v (%+v), want the removal of %d", e.Index, e, cc, id)
		}
	}

	learnerDir := t.TempDir()
	writeLog(t, learnerDir, pb.HardState{Term: 1, Commit: 3}, []pb.Entry{
		confEntry(t, 1, 1, pb.ConfChangeAddNode, 1), confEntry(t, 2, 1, pb.ConfChangeAddNode, 2), confEntry(t, 3, 1, pb.ConfChangeAddLearnerNode, 3)})
	if _, err := ForceNewCluster(learnerDir, "", "e", 3, "e/3/x", quietLogger()); !errors.Is(err, ErrForceRefused) || !strings.Contains(err.Error(), "not a voter") {
		t.Fatalf("a learner: %v, want refused", err)
	}
}
