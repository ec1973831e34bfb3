package sessionserver

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// recordedEffects writes down what applying asked of the connections; the
// requests it answers are those in waiting, as the Server's registry does.
type recordedEffects struct {
	waiting map[uint64]outcomeKind
	log     []string
}

func (r *recordedEffects) answer(seq uint64, o outcome) bool {
	want, ok := r.waiting[seq]
	delete(r.waiting, seq)
	if !ok || want != o.kind {
		r.log = append(r.log, fmt.Sprintf("unanswered %d", seq))
		return false
	}
	r.log = append(r.log, fmt.Sprintf("answer %d zxid=%x code=%d close=%v", seq, o.zxid, o.code, o.closeAfter))
	return true
}

func (r *recordedEffects) sessionEnded(sid int64) {
	r.log = append(r.log, fmt.Sprintf("ended %d", sid))
}
func (r *recordedEffects) sessionMoved(sid int64, to uint64) {
	r.log = append(r.log, fmt.Sprintf("moved %d to %d", sid, to))
}
func (r *recordedEffects) applied() {}

func newTestStateMachine(t *testing.T) *stateMachine {
	t.Helper()
	cfg := DefaultConfig()
	tracker := sessions.NewTracker(cfg.TickTime, func([]int64) {})
	return newStateMachine(cfg, 1, slog.New(slog.NewTextHandler(io.Discard, nil)), tracker)
}

func entry(t *txn) Entry { return Entry{Term: 1, Data: t.encode()} }

// TestStateMachineEffects: applying answers only this member's waiting
// requests, with the outcome of their kind, and hands sessions that ended or
// moved to the connections through effects.
func TestStateMachineEffects(t *testing.T) {
	create := wire.Marshal(&wire.CreateRequest{Path: "/a", ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.Id{Scheme: "world", ID: "anyone"}}}})
	tests := []struct {
		name    string
		waiting map[uint64]outcomeKind
		txns    []*txn
		want    []string
	}{{
		name:    "own session and write answered",
		waiting: map[uint64]outcomeKind{1: outcomeSession, 2: outcomeReply},
		txns: []*txn{
			{Type: wire.OpCreateSession, SID: 7, Origin: 1, Seq: 1, Body: createSessionBody(4000)},
			{Type: wire.OpCreate, SID: 7, Origin: 1, Seq: 2, Body: create},
		},
		want: []string{"answer 1 zxid=100000001 code=0 close=false", "answer 2 zxid=100000002 code=0 close=false"},
	}, {
		name:    "another member's transactions answer nothing here",
		waiting: map[uint64]outcomeKind{1: outcomeSession},
		txns:    []*txn{{Type: wire.OpCreateSession, SID: 7, Origin: 2, Seq: 1, Body: createSessionBody(4000)}},
		want:    nil,
	}, {
		name:    "own close answered and closes after the reply",
		waiting: map[uint64]outcomeKind{2: outcomeReply},
		txns: []*txn{
			{Type: wire.OpCreateSession, SID: 7, Origin: 2, Body: createSessionBody(4000)},
			{Type: wire.OpCloseSession, SID: 7, Origin: 1, Seq: 2},
		},
		want: []string{"answer 2 zxid=100000002 code=0 close=true"},
	}, {
		name: "a close nobody here waits for ends the session's connection",
		txns: []*txn{
			{Type: wire.OpCreateSession, SID: 7, Origin: 2, Body: createSessionBody(4000)},
			{Type: wire.OpCloseSession, SID: 7, Origin: 2, Seq: 5},
		},
		want: []string{"ended 7"},
	}, {
		name: "expiry ends every session of the batch",
		txns: []*txn{{Type: txnCloseSessions, Origin: 1, Body: encodeSids([]int64{7, 8})}},
		want: []string{"ended 7", "ended 8"},
	}, {
		name: "a session reattached elsewhere moves; here it does not",
		txns: []*txn{{Type: txnSessionOwner, SID: 7, Origin: 2}, {Type: txnSessionOwner, SID: 8, Origin: 1}},
		want: []string{"moved 7 to 2"},
	}, {
		name:    "a write of an expired session is answered with the error",
		waiting: map[uint64]outcomeKind{3: outcomeReply},
		txns:    []*txn{{Type: wire.OpCreate, SID: 9, Origin: 1, Seq: 3, Body: create}},
		want:    []string{fmt.Sprintf("answer 3 zxid=100000001 code=%d close=false", wire.ErrSessionExpired)},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := newTestStateMachine(t)
			fx := &recordedEffects{waiting: tc.waiting}
			var entries []Entry
			for _, tx := range tc.txns {
				entries = append(entries, entry(tx))
			}
			sm.apply(entries, fx)
			if !slices.Equal(fx.log, tc.want) {
				t.Fatalf("effects %q, want %q", fx.log, tc.want)
			}
		})
	}
}

// TestDecodeCreateSession: the body reads as every member has read it (a
// short one zero-padded, the mark only when it is there).
func TestDecodeCreateSession(t *testing.T) {
	tests := []struct {
		body []byte
		want createSession
	}{
		{createSessionBody(4000), createSession{timeout: 4000, withSecret: true}},
		{createSessionBody(4000)[:4], createSession{timeout: 4000}},
		{[]byte{0, 0, 0x0f, 0xa0, 2}, createSession{timeout: 4000}},
		{[]byte{0, 0, 1}, createSession{timeout: 256}},
		{nil, createSession{}},
	}
	for _, tc := range tests {
		if got := decodeCreateSession(tc.body); got != tc.want {
			t.Errorf("decodeCreateSession(%x) = %+v, want %+v", tc.body, got, tc.want)
		}
	}
}
