package zkclient

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestEnsembleMovesAndTracker runs against a 3-member ZooKeeper 3.8 quorum:
// a server-list update that drops the client's server moves the session to a
// remaining member with its id and ephemerals, and the ensemble tracker
// follows a reconfig that removes a member.
func TestEnsembleMovesAndTracker(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	ens := refzk.StartEnsemble(t, 3, refzk.Options{TickTime: 500, ReconfigEnabled: true, SuperDigest: datatree.DigestID("super", "test")})
	ctx := context.Background()
	c := connect(t, ens.ConnectString(), 10*time.Second)
	if _, _, err := c.Create(ctx, "/moving", []byte("x"), Ephemeral, WorldACL(wire.PermAll)); err != nil {
		t.Fatal(err)
	}
	sid, from := c.SessionID(), c.Server()
	var rest []string
	for _, s := range ens.Servers {
		if s.Addr != from {
			rest = append(rest, s.Addr)
		}
	}
	if err := c.UpdateServerList(strings.Join(rest, ",")); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, StateConnected)
	if c.SessionID() != sid || c.Server() == from || !slices.Contains(rest, c.Server()) {
		t.Fatalf("after the move: session %x (was %x), server %s (was %s)", c.SessionID(), sid, c.Server(), from)
	}
	if st, err := c.Exists(ctx, "/moving"); err != nil || st == nil || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after the move: %+v %v", st, err)
	}

	// The tracker reads /zookeeper/config and follows a reconfig.
	tc := connect(t, ens.ConnectString(), 10*time.Second)
	var mu sync.Mutex
	var seen []string
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tc.TrackEnsemble(tctx, func(cfg EnsembleConfig) {
		mu.Lock()
		seen = append(seen, cfg.ConnectString())
		mu.Unlock()
	})
	admin := connect(t, ens.ConnectString(), 10*time.Second)
	if err := admin.AddAuth(ctx, "digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	leader := ens.Leader()
	var victim uint64
	for i, s := range ens.Servers {
		if s != leader {
			victim = uint64(i + 1)
		}
	}
	// ZooKeeper refuses a reconfig until the remaining followers are synced
	// with the leader (NewConfigNoQuorum), which takes a moment after start.
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, _, err := admin.Reconfig(ctx, nil, []string{strconv.FormatUint(victim, 10)}, nil, -1)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "no quorum of new config") || time.Now().After(deadline) {
			t.Fatalf("reconfig: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // retry interval while the followers sync
	}
	want := ens.Servers[victim-1].Addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		servers := tc.Servers()
		if len(servers) == 2 && !slices.Contains(servers, want) {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("tracker did not drop %s: servers %v, configs seen %v", want, servers, seen)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}
