package main

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// orderedHosts is a go-zookeeper HostProvider that tries servers in the
// order given at construction (go-zookeeper shuffles what Init receives), so
// a test decides which member a session attaches to first.
type orderedHosts struct {
	mu      sync.Mutex
	servers []string
	next    int
}

func (h *orderedHosts) Init([]string) error { return nil }
func (h *orderedHosts) Len() int            { return len(h.servers) }
func (h *orderedHosts) Connected()          {}
func (h *orderedHosts) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.servers[h.next%len(h.servers)]
	h.next++
	return s, h.next%len(h.servers) == 0
}

// zkDial connects a go-zookeeper client that tries servers in order.
func zkDial(t *testing.T, servers []string, timeout time.Duration) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect(servers, timeout, zk.WithLogger(quietZK{}), zk.WithHostProvider(&orderedHosts{servers: servers}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("no session with %v", servers)
		}
	}
	return c
}

// TestSessionSurvivesLossOfItsMember (go-zookeeper clients): a session held
// through a follower and one held through the leader; each member is killed
// in turn. Each client reattaches to another member with the same session,
// its ephemeral stays, it goes on writing past several session timeouts, and
// the killed member comes back with the sessions' state.
func TestSessionSurvivesLossOfItsMember(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500})
	leader := leaderOf(t, ens)
	var follower *refzk.Server
	for _, s := range ens.Servers {
		if s != leader {
			follower = s
			break
		}
	}
	first := func(s *refzk.Server) []string {
		out := []string{s.Addr}
		for _, o := range ens.Servers {
			if o != s {
				out = append(out, o.Addr)
			}
		}
		return out
	}
	const timeout = 2 * time.Second
	type held struct {
		c   *zk.Conn
		sid int64
		eph string
	}
	var sessions []held
	for i, s := range []*refzk.Server{follower, leader} {
		c := zkDial(t, first(s), timeout)
		if c.Server() != s.Addr {
			t.Fatalf("session %d attached to %s, want %s", i, c.Server(), s.Addr)
		}
		h := held{c: c, sid: c.SessionID(), eph: fmt.Sprintf("/held%d", i)}
		retry(t, "the held session's ephemeral", func() error {
			_, err := c.Create(h.eph, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
			if errors.Is(err, zk.ErrNodeExists) {
				return nil
			}
			return err
		})
		sessions = append(sessions, h)
	}
	for i, victim := range []*refzk.Server{follower, leader} {
		h := sessions[i]
		start := time.Now()
		victim.Kill()
		retry(t, "the held session writes through another member", func() error {
			if _, err := h.c.Set(h.eph, []byte("moved"), -1); err != nil {
				return err
			}
			if h.c.Server() == victim.Addr {
				return errors.New("still attached to the killed member")
			}
			return nil
		})
		t.Logf("session on the killed %s wrote again through %s %v later", map[bool]string{true: "leader", false: "follower"}[victim == leader], h.c.Server(), time.Since(start))
		// Well past the session timeout every session is alive and writing.
		for end := time.Now().Add(2 * timeout); time.Now().Before(end); {
			for _, o := range sessions {
				retry(t, "a held session writes", func() error {
					_, err := o.c.Set(o.eph, []byte(time.Now().String()), -1)
					return err
				})
			}
			time.Sleep(200 * time.Millisecond) // the clients' write interval while observing
		}
		for _, o := range sessions {
			if o.c.SessionID() != o.sid {
				t.Fatalf("a session changed: %x → %x", o.sid, o.c.SessionID())
			}
		}
		victim.Restart()
		back := zkDial(t, []string{victim.Addr}, 10*time.Second)
		retry(t, "the restarted member has both ephemerals", func() error {
			if _, err := back.Sync("/"); err != nil {
				return err
			}
			for _, o := range sessions {
				_, st, err := back.Get(o.eph)
				if err != nil {
					return fmt.Errorf("%s: %w", o.eph, err)
				}
				if st.EphemeralOwner != o.sid {
					return fmt.Errorf("%s owned by %x, want %x", o.eph, st.EphemeralOwner, o.sid)
				}
			}
			return nil
		})
	}
}
