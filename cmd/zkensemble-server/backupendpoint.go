package main

import (
	"errors"

	"github.com/zkensemble/zkensemble/pkg/backup"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// backupEndpoint serves GET /v1/backup on the admin API (pkg/backup): a
// snapshot of this member's state after a ReadIndex barrier.
func (m *member) backupEndpoint(ensembleID string) sessionserver.Option {
	node := m.node
	return sessionserver.WithAdminHandler(backup.Path, backup.Handler(backup.Source{
		EnsembleID:   ensembleID,
		Member:       node.ID(),
		Barrier:      node.Barrier,
		Ready:        node.Ready,
		AppliedIndex: node.AppliedIndex,
		Snapshot: func() ([]byte, error) {
			if m.server == nil {
				return nil, errNotStarted
			}
			return m.server.Snapshot()
		},
	}))
}

var errNotStarted = errors.New("the member is starting")
