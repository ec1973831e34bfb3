package membership

import (
	"context"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Ensemble is how the controller reaches the members of one ensemble.
type Ensemble struct {
	// Client returns the admin API client of member id.
	Client func(id uint64) *adminapi.Client
	// Addresses returns the replication and client addresses member id is
	// reached at, for adding it to the configuration.
	Addresses func(id uint64) (peer, client string)
	// ElectionPort is the members' election port, recorded with a member
	// added so /zookeeper/config lists it as its server line says (0: the
	// quorum port is shown for both).
	ElectionPort int
	// Timeout bounds each status call (default 2 s): a member that does not
	// answer in time counts as not answering.
	Timeout time.Duration
}

// Observe asks every pod's member for its status, in parallel, and returns
// the pods with Admin filled in and the leader's status (nil if no member
// that answers is or knows a leader that answers).
func (e Ensemble) Observe(ctx context.Context, pods map[uint64]Pod) (map[uint64]Pod, *adminapi.Status) {
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	out := make(map[uint64]Pod, len(pods))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for id, p := range pods {
		if !p.Exists {
			out[id] = p
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			st, err := e.Client(id).Status(cctx)
			if err == nil && st.ID == id {
				p.Admin = st
			}
			mu.Lock()
			out[id] = p
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, pickLeader(out)
}

// pickLeader is the member that says it leads and that the most members
// follow (then the highest term): a member restarted on a stale log can
// briefly believe it leads a configuration of its own, and must not be taken
// for the ensemble's leader.
func pickLeader(pods map[uint64]Pod) *adminapi.Status {
	followers := map[uint64]int{}
	for _, p := range pods {
		if p.Admin != nil && p.Admin.LeaderID != 0 {
			followers[p.Admin.LeaderID]++
		}
	}
	var leader *adminapi.Status
	for _, p := range pods {
		a := p.Admin
		if a == nil || a.Role != adminapi.RoleLeader {
			continue
		}
		if leader == nil || followers[a.ID] > followers[leader.ID] ||
			followers[a.ID] == followers[leader.ID] && a.Term > leader.Term {
			leader = a
		}
	}
	return leader
}
