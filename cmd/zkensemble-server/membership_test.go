package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestMembership1to3to5to3to1 changes the membership one safe step at a time
// through the admin API while clients write continuously: every acknowledged
// write is present on every remaining member at the end.
func TestMembership1to3to5to3to1(t *testing.T) {
	bin := refzk.BuildOurs(t)
	ctx := context.Background()
	opts := refzk.Options{TickTime: 500, PKI: refzk.NewPKI(t)}
	ports := make([]refzk.MemberPorts, 6)
	for id := 1; id <= 5; id++ {
		ports[id] = refzk.AllocMember(t, id)
	}
	servers := make([]*refzk.Server, 6)
	servers[1] = refzk.StartOursMember(t, bin, ports[1], ports[1:2], opts)
	admin := func(id int) *adminapi.Client { return servers[id].AdminClient() }
	retry(t, "member 1 serves", func() error {
		st, err := admin(1).Status(ctx)
		if err != nil {
			return err
		}
		if st.Role != adminapi.RoleLeader {
			return fmt.Errorf("role %s", st.Role)
		}
		return nil
	})

	// Continuous writes through a client that follows the membership.
	var (
		mu    sync.Mutex
		acked []string
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	writer := dial(t, servers[1].Addr, 10*time.Second)
	tctx, cancelTracker := context.WithCancel(ctx)
	defer cancelTracker()
	go writer.TrackEnsemble(tctx, nil)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			p, _, err := writer.Create(wctx, fmt.Sprintf("/w%05d", i), nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
			cancel()
			if err == nil {
				mu.Lock()
				acked = append(acked, p)
				mu.Unlock()
			}
		}
	}()

	leaderID := func() uint64 {
		var lead uint64
		retry(t, "a leader", func() error {
			for id := 1; id <= 5; id++ {
				if servers[id] == nil {
					continue
				}
				st, err := admin(id).Status(ctx)
				if err == nil && st.LeaderID != 0 {
					lead = st.LeaderID
					return nil
				}
			}
			return errors.New("no leader known")
		})
		return lead
	}
	add := func(id int) {
		t.Helper()
		listed := []refzk.MemberPorts{}
		for j := 1; j <= 5; j++ {
			if servers[j] != nil || j == id {
				listed = append(listed, ports[j])
			}
		}
		servers[id] = refzk.StartOursMember(t, bin, ports[id], listed, refzk.Options{TickTime: 500, PKI: opts.PKI, Args: []string{"--join"}})
		lead := int(leaderID())
		start := time.Now()
		retry(t, fmt.Sprintf("add learner %d", id), func() error {
			_, err := admin(lead).AddLearner(ctx, adminapi.AddLearnerRequest{ID: uint64(id), PeerAddr: fmt.Sprintf("127.0.0.1:%d", ports[id].Peer), ClientAddr: servers[id].Addr})
			var ae *adminapi.Error
			if errors.As(err, &ae) && ae.Code == "MemberExists" {
				return nil
			}
			return err
		})
		retry(t, fmt.Sprintf("promote %d", id), func() error {
			_, err := admin(lead).Promote(ctx, uint64(id))
			var ae *adminapi.Error
			if errors.As(err, &ae) && ae.Code == "NotLearner" {
				return nil
			}
			return err
		})
		t.Logf("member %d added as learner and promoted in %v", id, time.Since(start))
	}
	remove := func(id int) {
		t.Helper()
		start := time.Now()
		if int(leaderID()) == id {
			retry(t, "transfer leadership", func() error {
				_, err := admin(id).TransferLeadership(ctx, 0)
				return err
			})
		}
		lead := int(leaderID())
		retry(t, fmt.Sprintf("remove %d", id), func() error {
			_, err := admin(lead).RemoveMember(ctx, uint64(id))
			var ae *adminapi.Error
			if errors.As(err, &ae) && ae.Code == "UnknownMember" {
				return nil
			}
			return err
		})
		servers[id].Stop()
		servers[id] = nil
		t.Logf("member %d removed in %v", id, time.Since(start))
	}
	for id := 2; id <= 5; id++ {
		add(id)
	}
	st, err := admin(int(leaderID())).Status(ctx)
	if err != nil || len(st.Members) != 5 {
		t.Fatalf("after growing: %+v %v", st, err)
	}
	for _, id := range []int{5, 4, 3, 2} {
		remove(id)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	check := dial(t, servers[1].Addr, 10*time.Second)
	retry(t, "sync", func() error { return check.Sync(ctx, "/") })
	children, _, err := check.Children(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range children {
		have["/"+c] = true
	}
	for _, p := range acked {
		if !have[p] {
			t.Fatalf("acknowledged write %s lost", p)
		}
	}
	data, _, _, err := check.GetConfig(ctx)
	if err != nil || strings.Count(string(data), "server.") != 1 {
		t.Fatalf("/zookeeper/config after shrinking to one: %q %v", data, err)
	}
	t.Logf("%d acknowledged writes, all present after 1→3→5→3→1", len(acked))
}
