package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestFiveMembersFollowerLossAndFullRestart runs five members: a follower and
// then a second one are killed (the quorum of three keeps serving), then every
// member is killed and restarted: no acknowledged write is lost, the session
// and its ephemeral survive, and zxids keep growing.
func TestFiveMembersFollowerLossAndFullRestart(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 5, refzk.Options{TickTime: 2000})
	ctx := context.Background()
	acl := zkclient.WorldACL(wire.PermAll)
	c := dial(t, ens.ConnectString(), 30*time.Second)
	write := func(p string) int64 {
		t.Helper()
		var zxid int64
		retry(t, "write "+p, func() error {
			_, st, err := c.Create(ctx, p, []byte(p), zkclient.Persistent, acl)
			if errors.Is(err, wire.ErrNodeExists) {
				st, err := c.Exists(ctx, p)
				if err == nil && st != nil {
					zxid = st.Czxid
				}
				return err
			}
			zxid = st.Czxid
			return err
		})
		return zxid
	}
	retry(t, "ephemeral", func() error {
		_, _, err := c.Create(ctx, "/five-eph", nil, zkclient.Ephemeral, acl)
		if errors.Is(err, wire.ErrNodeExists) {
			return nil
		}
		return err
	})
	var acked []string
	for i := 0; i < 20; i++ {
		p := fmt.Sprintf("/five-a%02d", i)
		write(p)
		acked = append(acked, p)
	}
	leader := leaderOf(t, ens)
	killed := 0
	for _, s := range ens.Servers {
		if s != leader && killed < 2 {
			s.Kill()
			killed++
			p := fmt.Sprintf("/five-after-kill%d", killed)
			write(p) // three of five still form a quorum
			acked = append(acked, p)
		}
	}
	last := write("/five-before-restart")
	acked = append(acked, "/five-before-restart")
	sid := c.SessionID()

	// Every member down, then every member back on its data.
	for _, s := range ens.Servers {
		s.Kill()
	}
	ens.RestartAll()
	leaderOf(t, ens)
	after := write("/five-after-restart")
	if after <= last {
		t.Fatalf("zxid went backwards across the restart: %#x after %#x", after, last)
	}
	if c.SessionID() != sid {
		t.Fatalf("session changed across the restart: %x → %x", sid, c.SessionID())
	}
	for _, s := range ens.Servers {
		m := dial(t, s.Addr, 30*time.Second)
		retry(t, "everything on "+s.Addr, func() error {
			if err := m.Sync(ctx, "/"); err != nil {
				return err
			}
			for _, p := range append(acked, "/five-eph") {
				if st, err := m.Exists(ctx, p); err != nil || st == nil {
					return fmt.Errorf("%s missing on %s (%w)", p, s.Addr, err)
				}
			}
			return nil
		})
	}
}
