package sessionserver

import (
	"context"
	"time"
)

// runContainerManager periodically proposes the deletion of empty containers
// and expired TTL nodes (ZooKeeper's ContainerManager). The delete is checked
// again when applied, so a node that gained a child in between survives.
func (s *Server) runContainerManager(ctx context.Context) {
	tick := time.NewTicker(s.cfg.ContainerInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !s.leads() {
			continue
		}
		now := time.Now().UnixMilli()
		s.sm.tree.RLock()
		paths := s.sm.tree.ExpiredContainersAndTTLs(now)
		s.sm.tree.RUnlock()
		for _, p := range paths {
			if err := s.propose(&txn{Type: txnDeleteExpired, Time: now, Origin: s.id, Body: []byte(p)}); err != nil {
				s.logger.Warn("proposing container delete", "path", p, "err", err)
				break
			}
		}
	}
}

// leads reports whether this member runs the leader-only background work.
func (s *Server) leads() bool {
	m := s.mode()
	return m == ModeStandalone || m == ModeLeader
}
