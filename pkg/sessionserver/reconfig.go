package sessionserver

import (
	"context"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// Reconfigurer carries out the reconfig opcode for an ensemble (pkg/ensemble):
// incremental (joining "server.N=..." specs, leaving ids) or a whole new
// member list. It returns once the change is committed and applied on this
// member (or this member was removed by it), so the reply carries the new
// configuration.
type Reconfigurer interface {
	Reconfig(ctx context.Context, joining, leaving, newMembers string) wire.ErrCode
}

// reconfigTimeout bounds a reconfig: adding a member waits for it to catch up.
const reconfigTimeout = 60 * time.Second

// reconfigAsync answers a reconfig on an ensemble member in request order,
// after ZooKeeper's checks: the super user only (WRITE on /zookeeper/config,
// which world lacks), the expected configuration version, then the change;
// the reply is the new configuration once this member has applied it, sent
// before the connection closes when the change removed this member.
func (c *conn) reconfigAsync(sl *slot) {
	s := c.srv
	r := sl.rec.(*wire.ReconfigRequest)
	super := c.auth.Super
	c.mu.Lock()
	c.queue = append(c.queue, sl)
	c.mu.Unlock()
	c.reconfigs.Add(1)
	go func() {
		defer c.reconfigs.Add(-1)
		ctx, cancel := context.WithTimeout(s.ctxOrBackground(), reconfigTimeout)
		defer cancel()
		var code wire.ErrCode
		switch {
		case !super:
			code = wire.ErrNoAuth
		case r.CurConfigID != -1 && r.CurConfigID != s.ConfigVersion():
			code = wire.ErrBadVersion
		default:
			code = s.reconfigurer.Reconfig(ctx, r.JoiningServers, r.LeavingServers, r.NewMembers)
		}
		s.sm.tree.RLock()
		var body wire.Record
		if code == wire.ErrOK {
			data, st := s.sm.tree.Config()
			body = &wire.GetDataResponse{Data: data, Stat: st}
		}
		frame := encodeReply(sl.hdr.Xid, s.LastZxid(), code, body)
		c.mu.Lock()
		c.completeLocked(sl, frame, false)
		c.mu.Unlock()
		s.sm.tree.RUnlock()
	}()
}
