package sessionserver

import "github.com/zkensemble/zkensemble/pkg/wire"

// Reconfigurer carries out the reconfig opcode for an ensemble (pkg/ensemble).
// It is called while the transaction is applied, on every member, and
// returns the reply: the new configuration and the stat of /zookeeper/config.
type Reconfigurer interface {
	Reconfig(zxid int64, super bool, req *wire.ReconfigRequest) (wire.ErrCode, *wire.GetDataResponse)
}

// applyReconfig follows ZooKeeper's order of checks: disabled first, then a
// standalone server cannot reconfigure at all.
func (s *Server) applyReconfig(zxid int64, t *txn, r *wire.ReconfigRequest) (wire.ErrCode, wire.Record) {
	if !s.cfg.ReconfigEnabled {
		return wire.ErrReconfigDisabled, nil
	}
	if s.reconfigurer == nil {
		return wire.ErrUnimplemented, nil
	}
	code, resp := s.reconfigurer.Reconfig(zxid, t.Auth.Super, r)
	if resp == nil {
		return code, nil
	}
	return code, resp
}
