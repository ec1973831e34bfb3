package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestReconfigOpcode adds and removes a member with ZooKeeper's reconfig
// opcode, sent by a client of a follower: super user only, incremental
// join/leave, /zookeeper/config following, its watch firing.
func TestReconfigOpcode(t *testing.T) {
	bin := refzk.BuildOurs(t)
	opts := refzk.Options{TickTime: 500, ReconfigEnabled: true, SuperDigest: datatree.DigestID("super", "test"), PKI: refzk.NewPKI(t)}
	ports := []refzk.MemberPorts{{}, refzk.AllocMember(t, 1), refzk.AllocMember(t, 2), refzk.AllocMember(t, 3), refzk.AllocMember(t, 4)}
	var servers []*refzk.Server
	for id := 1; id <= 3; id++ {
		servers = append(servers, refzk.StartOursMember(t, bin, ports[id], ports[1:4], opts))
	}
	for _, s := range servers {
		if err := s.WaitServing(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	joinOpts := opts
	joinOpts.Args = []string{"--join"}
	fourth := refzk.StartOursMember(t, bin, ports[4], ports[1:5], joinOpts)
	if err := fourth.WaitAnswering(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	ens := &refzk.Ensemble{Servers: servers}
	leader := leaderOf(t, ens)
	var follower *refzk.Server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	ctx := context.Background()
	c := dial(t, follower.Addr, 20*time.Second)
	_, _, w, err := c.GetConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	joiner := "server.4=" + ports[4].ServerLine()
	if _, _, err := c.Reconfig(ctx, []string{joiner}, nil, nil, -1); !errors.Is(err, wire.ErrNoAuth) {
		t.Fatalf("reconfig without super: %v", err)
	}
	if err := c.AddAuth(ctx, "digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Reconfig(ctx, []string{joiner}, nil, nil, 12345); !errors.Is(err, wire.ErrBadVersion) {
		t.Fatalf("reconfig from a stale version: %v", err)
	}
	data, st, err := c.Reconfig(ctx, []string{joiner}, nil, nil, -1)
	if err != nil {
		t.Fatalf("reconfig join: %v", err)
	}
	if !strings.Contains(string(data), "server.4=") || !strings.Contains(string(data), fmt.Sprintf("version=%x", st.Mzxid)) {
		t.Fatalf("config after join: %q (mzxid %x)", data, st.Mzxid)
	}
	select {
	case ev := <-w:
		if ev.Type != wire.EventNodeDataChanged {
			t.Fatalf("config watch: %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the /zookeeper/config watch did not fire")
	}
	fc := dial(t, fourth.Addr, 20*time.Second)
	retry(t, "the new member serves", func() error {
		if err := fc.Sync(ctx, "/"); err != nil {
			return err
		}
		d, _, _, err := fc.GetConfig(ctx)
		if err != nil || !strings.Contains(string(d), "server.4=") {
			return fmt.Errorf("%q %w", d, err)
		}
		return nil
	})
	data, _, err = c.Reconfig(ctx, nil, []string{"4"}, nil, -1)
	if err != nil || strings.Contains(string(data), "server.4=") {
		t.Fatalf("reconfig leave: %q %v", data, err)
	}
	// The removed member stays up, serving nothing, and says why.
	retry(t, "the removed member reports its removal", func() error {
		st, err := fourth.AdminClient().Status(ctx)
		if err != nil {
			return err
		}
		if !st.Removed || st.Role != adminapi.RoleNone {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	if out, err := refzk.FourLetter(fourth.Addr, "srvr"); err != nil || !strings.Contains(out, "not currently serving") || fourth.Exited() {
		t.Fatalf("the removed member: srvr %q %v, exited %v", out, err, fourth.Exited())
	}
}
