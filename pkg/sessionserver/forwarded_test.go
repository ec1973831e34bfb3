package sessionserver

import (
	"errors"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestCheckForwarded: the leader takes from member N only transactions N's
// own session handling made (so the superuser flag and auth ids in them are
// N's), and never the log's or the leader's own kinds.
func TestCheckForwarded(t *testing.T) {
	super := datatree.Auth{Super: true, IDs: []wire.Id{{Scheme: "super", ID: ""}}}
	tests := []struct {
		name string
		from uint64
		data []byte
		ok   bool
	}{
		{name: "a client's write through member 2", from: 2, data: (&txn{Type: wire.OpCreate, Origin: 2, Seq: 1, Body: []byte("x")}).encode(), ok: true},
		{name: "a superuser's write through member 2", from: 2, data: (&txn{Type: wire.OpSetACL, Origin: 2, Auth: super}).encode(), ok: true},
		{name: "member 3's transaction forwarded by member 2", from: 2, data: (&txn{Type: wire.OpSetACL, Origin: 3, Auth: super}).encode()},
		{name: "a configuration rewrite", from: 2, data: ConfigTxn([]byte("server.9=evil:1:1:participant\n"), 0)},
		{name: "a configuration rewrite claiming its origin", from: 2, data: (&txn{Type: txnSetConfig, Origin: 2, Body: []byte("server.9=x\n")}).encode()},
		{name: "a session expiry", from: 2, data: (&txn{Type: txnCloseSessions, Origin: 2, Body: encodeSids([]int64{7})}).encode()},
		{name: "garbage", from: 2, data: []byte("key=value")},
		{name: "empty", from: 2, data: nil},
	}
	s := &Server{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CheckForwarded(tc.from, tc.data)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrForeignTxn)) {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
