package sessionserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestZooKeeperPasswordTakeover is the attack of issue 12: a session id is
// public (cons, dump, /v1/sessions), so anyone could compute ZooKeeper's
// password, reattach and close the session, deleting its ephemeral lock. The
// reattach must be refused and the lock stay.
func TestZooKeeperPasswordTakeover(t *testing.T) {
	s := startServer(t, nil)
	victim := dialRaw(t, s.Addr())
	resp := victim.newSession(30000)
	victim.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/lock", ACL: datatree.OpenACLUnsafe, Flags: wire.ModeEphemeral})
	if h, _ := victim.reply(); h.Err != 0 {
		t.Fatalf("create: %d", h.Err)
	}
	attacker := dialRaw(t, s.Addr())
	got := attacker.connect(wire.ConnectRequest{TimeOut: 30000, SessionID: resp.SessionID, Passwd: sessions.ZooKeeperPassword(resp.SessionID)})
	if got.SessionID != 0 || got.TimeOut != 0 {
		// Taken over: show what the attacker could do with it.
		attacker.send(&wire.RequestHeader{Xid: 1, Type: wire.OpCloseSession})
		attacker.reply()
		t.Fatalf("reattached with the ZooKeeper-computed password: %+v", got)
	}
	if !attacker.closed() {
		t.Error("the refused connection stayed open")
	}
	s.sm.tree.RLock()
	_, ok := s.sm.tree.Stat("/lock")
	s.sm.tree.RUnlock()
	if !ok {
		t.Fatal("the victim's ephemeral is gone")
	}
	// The victim's own password still works.
	again := dialRaw(t, s.Addr())
	if r := again.connect(wire.ConnectRequest{TimeOut: 30000, SessionID: resp.SessionID, Passwd: resp.Passwd}); r.SessionID != resp.SessionID {
		t.Fatalf("reattach with the server's password: %+v", r)
	}
}

// createSessionTxn puts a session in the log directly, as a member of the
// version before secrets would have (no createdWithSecret mark).
func createSessionTxn(t *testing.T, s *Server, sid int64) {
	t.Helper()
	var to [4]byte
	binary.BigEndian.PutUint32(to[:], 30000)
	if err := s.propose(&txn{Type: wire.OpCreateSession, SID: sid, Origin: s.id, Body: to[:]}); err != nil {
		t.Fatal(err)
	}
	if err := s.rlog.Barrier(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLegacySessionsAndSnapshots: a session that existed before the secret
// (a rolling upgrade) keeps ZooKeeper's password; sessions created after get
// HMAC passwords; a snapshot carries both, and a snapshot written before
// secrets existed still restores.
func TestLegacySessionsAndSnapshots(t *testing.T) {
	s := startServer(t, nil)
	const legacy = int64(0x0100000000000042)
	createSessionTxn(t, s, legacy)
	if s.sm.pw.secret != nil {
		t.Fatal("a secret before any new session asked for one")
	}
	fresh := dialRaw(t, s.Addr()).newSession(30000)
	if fresh.SessionID == 0 || bytes.Equal(fresh.Passwd, sessions.ZooKeeperPassword(fresh.SessionID)) {
		t.Fatalf("new session: %+v", fresh)
	}
	checks := []struct {
		name   string
		sid    int64
		passwd []byte
		ok     bool
	}{
		{"legacy session, ZooKeeper's password", legacy, sessions.ZooKeeperPassword(legacy), true},
		{"new session, the password it was given", fresh.SessionID, fresh.Passwd, true},
		{"new session, ZooKeeper's password", fresh.SessionID, sessions.ZooKeeperPassword(fresh.SessionID), false},
		{"unknown session", fresh.SessionID + 1, fresh.Passwd, false},
	}
	for _, c := range checks {
		r := dialRaw(t, s.Addr())
		got := r.connect(wire.ConnectRequest{TimeOut: 30000, SessionID: c.sid, Passwd: c.passwd})
		if (got.SessionID == c.sid) != c.ok {
			t.Errorf("%s: handshake answered %+v", c.name, got)
		}
		if c.ok && !bytes.Equal(got.Passwd, c.passwd) {
			t.Errorf("%s: password changed on reattach", c.name)
		}
	}

	// During a rolling upgrade a member of the old version may still create
	// sessions after the secret is set: they keep ZooKeeper's password.
	const late = int64(0x0200000000000042)
	createSessionTxn(t, s, late)
	checks = append(checks, struct {
		name   string
		sid    int64
		passwd []byte
		ok     bool
	}{"session an old member created after the secret", late, sessions.ZooKeeperPassword(late), true})
	if r := dialRaw(t, s.Addr()).connect(wire.ConnectRequest{TimeOut: 30000, SessionID: late, Passwd: sessions.ZooKeeperPassword(late)}); r.SessionID != late {
		t.Fatalf("an old member's session after the secret: %+v", r)
	}

	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := newIdle(t)
	if err := restored.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored.sm.pw.secret, s.sm.pw.secret) {
		t.Fatal("the snapshot lost the secret")
	}
	for _, c := range checks {
		if got := restored.sm.checkSession(c.sid, c.passwd); got != c.ok {
			t.Errorf("after restore, %s: %v, want %v", c.name, got, c.ok)
		}
	}
	select {
	case <-restored.sm.pw.ready:
	default:
		t.Error("a restored secret does not release waiting handshakes")
	}

	old := newIdle(t)
	if err := old.Restore(snapshotWithoutPasswords(t, legacy)); err != nil {
		t.Fatalf("a snapshot from before secrets: %v", err)
	}
	if old.sm.pw.secret != nil || !old.sm.checkSession(legacy, sessions.ZooKeeperPassword(legacy)) {
		t.Fatal("an old snapshot's session lost its ZooKeeper password")
	}
}

// TestFirstSecretWins: of concurrent proposals, the first applied sets the
// secret on every member; a malformed one is ignored.
func TestFirstSecretWins(t *testing.T) {
	a, _ := sessions.NewSecret()
	b, _ := sessions.NewSecret()
	for _, order := range [][][]byte{{a, b}, {a[:5], a, b}} {
		s := newIdle(t)
		var entries []Entry
		for i, secret := range order {
			entries = append(entries, Entry{Index: uint64(i + 1), Data: secretTxn(secret).encode()})
		}
		s.Apply(entries)
		if !bytes.Equal(s.sm.pw.secret, a) {
			t.Fatalf("secret %x, want the first well-formed one %x", s.sm.pw.secret, a)
		}
		if s.LastZxid() != 0 {
			t.Fatalf("the secret used zxid %#x; it changes no znode", s.LastZxid())
		}
	}
}

// newIdle is a server that is not serving: a state machine to apply and restore into.
func newIdle(t *testing.T) *Server {
	t.Helper()
	s, err := New(DefaultConfig(), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// snapshotWithoutPasswords writes a snapshot as the version before secrets
// did: the header ends after the session table.
func snapshotWithoutPasswords(t *testing.T, sid int64) []byte {
	t.Helper()
	e := wire.NewEncoder(nil)
	e.WriteInt64(0)
	e.WriteInt32(1)
	e.WriteInt64(1)
	e.WriteInt32(1)
	e.WriteInt64(sid)
	e.WriteInt32(30000)
	var buf bytes.Buffer
	buf.Write(wire.AppendFrame(nil, e.Bytes()))
	if err := datatree.New().WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
