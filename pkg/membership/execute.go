package membership

import (
	"context"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Execute carries out an admin-API step through the leader. Steps on
// Kubernetes objects (SetReplicas, Publish, RestartPod) are the caller's.
func (e Ensemble) Execute(ctx context.Context, s Step, leader uint64) error {
	c := e.Client(leader)
	var err error
	switch s.Action {
	case AddLearner:
		peer, client := e.Addresses(s.Member)
		_, err = c.AddLearner(ctx, adminapi.AddLearnerRequest{ID: s.Member, PeerAddr: peer, ClientAddr: client, ElectionPort: e.ElectionPort})
	case Promote:
		_, err = c.Promote(ctx, s.Member)
	case RemoveMember:
		_, err = c.RemoveMember(ctx, s.Member)
	case TransferLeadership:
		_, err = c.TransferLeadership(ctx, s.To)
	default:
		return nil
	}
	return err
}

// IsAdmin reports whether the step goes through the admin API.
func (s Step) IsAdmin() bool {
	switch s.Action {
	case AddLearner, Promote, RemoveMember, TransferLeadership:
		return true
	}
	return false
}
