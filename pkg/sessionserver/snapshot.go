package sessionserver

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Snapshot serialises the replicated state: zxid position, sessions, tree.
func (s *Server) Snapshot() ([]byte, error) {
	s.tree.RLock()
	defer s.tree.RUnlock()
	var buf bytes.Buffer
	e := wire.NewEncoder(nil)
	e.WriteInt64(int64(s.term))
	e.WriteInt32(int32(s.counter))
	e.WriteInt64(s.lastZxid.Load())
	e.WriteInt32(int32(len(s.sessionTable)))
	for sid, to := range s.sessionTable {
		e.WriteInt64(sid)
		e.WriteInt32(to)
	}
	s.encodePasswordState(e)
	buf.Write(wire.AppendFrame(nil, e.Bytes()))
	if err := s.tree.WriteSnapshot(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Restore replaces the replicated state with a snapshot.
func (s *Server) Restore(snapshot []byte) error {
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
	s.tree.Lock()
	defer s.tree.Unlock()
	// The watch registry stays: watches belong to live connections.
	s.tree.Replace(tree)
	s.term, s.counter = uint64(term), uint32(counter)
	s.lastZxid.Store(last)
	s.sessionTable = table
	s.setPasswordState(secret, legacy)
	for sid, to := range table {
		s.tracker.AddSession(sid, to)
	}
	return nil
}
