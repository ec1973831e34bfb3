package sessionserver

import (
	"bytes"
	"errors"
	"fmt"

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
	buf.Write(wire.AppendFrame(nil, e.Bytes()))
	if err := sm.tree.WriteSnapshot(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// restore replaces the replicated state with a snapshot.
func (sm *stateMachine) restore(snapshot []byte) error {
	r := bytes.NewReader(snapshot)
	head, err := wire.ReadFrame(r, nil, len(snapshot))
	if err != nil {
		return fmt.Errorf("snapshot header: %w", err)
	}
	d := wire.NewDecoder(head)
	term, err1 := d.ReadInt64()
	counter, err2 := d.ReadInt32()
	last, err3 := d.ReadInt64()
	n, err4 := d.ReadInt32()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("snapshot header: %w", err)
	}
	if n < 0 {
		return fmt.Errorf("snapshot header: %d sessions", n)
	}
	table := make(map[int64]int32, n)
	for i := int32(0); i < n; i++ {
		sid, err1 := d.ReadInt64()
		to, err2 := d.ReadInt32()
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("snapshot sessions: %w", err)
		}
		table[sid] = to
	}
	secret, legacy, err := decodePasswordState(d)
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
	sm.term, sm.counter = uint64(term), uint32(counter)
	sm.lastZxid.Store(last)
	sm.sessionTable = table
	sm.setPasswordState(secret, legacy)
	for sid, to := range table {
		sm.tracker.AddSession(sid, to)
	}
	return nil
}
