package sessionserver

import (
	"fmt"
	"time"

	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// secretTxn carries the ensemble's password secret. The first one applied
// sets it; later ones (concurrent proposals of other members) are ignored, so
// every member ends up with the same secret. It changes no znode and uses no
// zxid. It is encoded as a txnSessionOwner of session 0, which members of the
// version before secrets apply as a no-op without a zxid: with a new type
// they would have used a zxid for it, and zxids would differ between members
// during a rolling upgrade.
func secretTxn(secret []byte) *txn {
	return &txn{Type: txnSessionOwner, SID: 0, Time: time.Now().UnixMilli(), Body: secret}
}

func isSecretTxn(t *txn) bool { return t.Type == txnSessionOwner && t.SID == 0 }

// applySessionPassword records, at a createSession's apply, whether the
// session keeps ZooKeeper's password. Tree write-locked.
func (sm *stateMachine) applySessionPassword(sid int64, cs createSession) {
	if !cs.withSecret {
		sm.pw.legacy[sid] = struct{}{}
	}
}

// passwordState is the replicated part of session passwords: the ensemble's
// secret and the sessions that existed before it was set, which keep
// ZooKeeper's password (a rolling upgrade keeps every session). Apply and
// Restore change it under the tree's write lock.
type passwordState struct {
	secret []byte
	legacy map[int64]struct{}
	// ready is closed once secret is set (handshakes wait on it).
	ready chan struct{}
}

func newPasswordState() passwordState {
	return passwordState{legacy: map[int64]struct{}{}, ready: make(chan struct{})}
}

// applySecret sets the secret from the first secretTxn applied and records
// the sessions alive at that point as legacy (those restored from a snapshot
// of the version before secrets carry no mark), identically on every member.
func (sm *stateMachine) applySecret(t *txn) {
	if len(t.Body) != sessions.SecretLen {
		sm.logger.Error("skipping a password secret of the wrong length", "len", len(t.Body))
		return
	}
	if sm.pw.secret != nil {
		return
	}
	sm.pw.secret = append([]byte(nil), t.Body...)
	for sid := range sm.sessionTable {
		sm.pw.legacy[sid] = struct{}{}
	}
	close(sm.pw.ready)
	sm.logger.Info("session passwords are keyed by the ensemble's secret", "legacySessions", len(sm.pw.legacy))
}

// setPasswordState installs restored state (tree write-locked).
func (sm *stateMachine) setPasswordState(secret []byte, legacy map[int64]struct{}) {
	select {
	case <-sm.pw.ready:
		if secret == nil {
			sm.pw.ready = make(chan struct{})
		}
	default:
		if secret != nil {
			close(sm.pw.ready)
		}
	}
	sm.pw.secret, sm.pw.legacy = secret, legacy
}

// passwordLocked is the password of sid; the tree must be locked.
func (sm *stateMachine) passwordLocked(sid int64) []byte {
	if _, old := sm.pw.legacy[sid]; old || sm.pw.secret == nil {
		return sessions.ZooKeeperPassword(sid)
	}
	return sessions.Password(sm.pw.secret, sid)
}

// sessionPassword is what the handshake hands the client of session sid.
func (sm *stateMachine) sessionPassword(sid int64) []byte {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	return sm.passwordLocked(sid)
}

// checkSession reports whether sid is a live session and passwd its password
// (constant time). A ZooKeeper-computed password passes only for a legacy
// session: one that predates the secret.
func (sm *stateMachine) checkSession(sid int64, passwd []byte) bool {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	if _, ok := sm.sessionTable[sid]; !ok {
		return false
	}
	if _, old := sm.pw.legacy[sid]; old || sm.pw.secret == nil {
		return sessions.CheckZooKeeperPassword(sid, passwd)
	}
	return sessions.CheckPassword(sm.pw.secret, sid, passwd)
}

// awaitSecret returns true once the ensemble has a secret, proposing one if
// it has none (one proposer per member at a time). False: gave up (timeout,
// the connection or the server closed).
func (s *Server) awaitSecret(done <-chan struct{}) bool {
	ready := s.sm.secretReady()
	select {
	case <-ready:
		return true
	default:
	}
	if s.proposingSecret.CompareAndSwap(false, true) {
		go s.proposeSecret(ready)
	}
	timer := time.NewTimer(handshakeTimeout)
	defer timer.Stop()
	select {
	case <-ready:
		return true
	case <-timer.C:
	case <-done:
	case <-s.ctxOrBackground().Done():
	}
	return false
}

// proposeSecret proposes a new random secret until one is applied: a
// proposal sent to a leader that lost its office is lost, so it retries.
func (s *Server) proposeSecret(ready <-chan struct{}) {
	defer s.proposingSecret.Store(false)
	retry := time.Duration(max(2*s.cfg.TickTime, 1000)) * time.Millisecond
	for {
		secret, err := sessions.NewSecret()
		if err != nil {
			s.logger.Error("creating the ensemble's password secret", "err", err)
			return
		}
		t := secretTxn(secret)
		t.Origin = s.id
		if err := s.propose(t); err != nil {
			s.logger.Warn("proposing the ensemble's password secret", "err", err)
		}
		select {
		case <-ready:
			return
		case <-s.ctxOrBackground().Done():
			return
		case <-time.After(retry):
		}
	}
}

// secretReady is closed once the ensemble's secret is set.
func (sm *stateMachine) secretReady() <-chan struct{} {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	return sm.pw.ready
}

// passwordSnapshotVersion marks the password state appended to the snapshot
// header; snapshots written before it end after the session table.
const passwordSnapshotVersion = 1

func (sm *stateMachine) encodePasswordState(e *wire.Encoder) {
	e.WriteInt32(passwordSnapshotVersion)
	e.WriteBuffer(sm.pw.secret)
	e.WriteInt32(int32(len(sm.pw.legacy)))
	for sid := range sm.pw.legacy {
		e.WriteInt64(sid)
	}
}

// decodePasswordState reads what encodePasswordState wrote; a header without
// it (an older snapshot) gives no secret and no legacy sessions.
func decodePasswordState(d *wire.Decoder) ([]byte, map[int64]struct{}, error) {
	legacy := map[int64]struct{}{}
	if d.Remaining() == 0 {
		return nil, legacy, nil
	}
	v, err := d.ReadInt32()
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot password state: %w", err)
	}
	if v != passwordSnapshotVersion {
		return nil, nil, fmt.Errorf("snapshot password state: unknown version %d", v)
	}
	secret, err := d.ReadBuffer()
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot password secret: %w", err)
	}
	if secret != nil && len(secret) != sessions.SecretLen {
		return nil, nil, fmt.Errorf("snapshot password secret: %d bytes, want %d", len(secret), sessions.SecretLen)
	}
	n, err := d.ReadInt32()
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot legacy sessions: %w", err)
	}
	if n < 0 || int(n)*8 > d.Remaining() {
		return nil, nil, fmt.Errorf("snapshot legacy sessions: count %d", n)
	}
	for i := int32(0); i < n; i++ {
		sid, err := d.ReadInt64()
		if err != nil {
			return nil, nil, fmt.Errorf("snapshot legacy sessions: %w", err)
		}
		legacy[sid] = struct{}{}
	}
	return secret, legacy, nil
}
