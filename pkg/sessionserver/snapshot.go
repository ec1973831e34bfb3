package sessionserver

import (
	"bytes"
	"io"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Snapshot serialises the replicated state (StateMachine).
func (s *Server) Snapshot() ([]byte, error) { return s.sm.snapshot() }

// Restore replaces the replicated state with a snapshot (StateMachine).
func (s *Server) Restore(snapshot []byte) error { return s.sm.restore(snapshot) }

// snapshot serialises the replicated state: zxid position, sessions, tree.
func (sm *stateMachine) snapshot() ([]byte, error) {
	sm.tree.RLock()
	defer sm.tree.RUnlock()
	var buf bytes.Buffer
	if err := sm.writeSnapshot(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeSnapshot writes the state to w; the caller holds the tree's lock.
func (sm *stateMachine) writeSnapshot(w io.Writer) error {
	e := wire.NewEncoder(nil)
	e.WriteInt64(int64(sm.term))
	e.WriteInt32(int32(sm.counter))
	e.WriteInt64(sm.lastZxid.Load())
	e.WriteInt32(int32(len(sm.sessionTable)))
	for sid, to := range sm.sessionTable {
		e.WriteInt64(sid)
		e.WriteInt32(to)
	}
	sm.encodePasswordState(e)
	if _, err := w.Write(wire.AppendFrame(nil, e.Bytes())); err != nil {
		return err
	}
	return sm.tree.WriteSnapshot(w)
}

// restore replaces the replicated state with a snapshot.
func (sm *stateMachine) restore(snapshot []byte) error {
	r := bytes.NewReader(snapshot)
	h, err := ReadSnapshotHeader(r)
	if err != nil {
		return err
	}
	tree, err := datatree.ReadSnapshot(r)
	if err != nil {
		return err
	}
	sm.tree.Lock()
	defer sm.tree.Unlock()
	// The watch registry stays: watches belong to live connections.
	sm.tree.Replace(tree)
	sm.term, sm.counter = h.term, h.counter
	sm.lastZxid.Store(h.Zxid)
	sm.sessionTable = h.Sessions
	sm.setPasswordState(h.secret, h.legacy)
	for sid, to := range h.Sessions {
		sm.tracker.AddSession(sid, to)
	}
	return nil
}
