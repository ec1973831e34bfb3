package zkclient

import (
	"slices"
	"testing"
	"time"
)

// TestMoveLeavesTheOldServerAtOnce: a server-list update that drops the
// client's server moves it; from the moment UpdateServerList returns, Server
// no longer names the server it leaves (a caller counting where clients are
// must not see a client that is moving as staying), and the session
// reattaches to the new server.
func TestMoveLeavesTheOldServerAtOnce(t *testing.T) {
	addr := targets(t, 2000)["zkensemble"]
	from, to := newProxy(t, addr), newProxy(t, addr) // two addresses of one server
	c := connect(t, from.addr(), 10*time.Second)
	sid := c.SessionID()
	if got := c.Server(); got != from.addr() {
		t.Fatalf("connected to %q, want %q", got, from.addr())
	}
	if err := c.UpdateServerList(to.addr()); err != nil {
		t.Fatal(err)
	}
	if got, list := c.Server(), c.Servers(); got == from.addr() || !slices.Equal(list, []string{to.addr()}) {
		t.Fatalf("right after the update: on %q with list %v; want off %q, list [%s]", got, list, from.addr(), to.addr())
	}
	for deadline := time.Now().Add(20 * time.Second); c.Server() != to.addr(); {
		if time.Now().After(deadline) {
			t.Fatalf("not reattached to %s: on %q", to.addr(), c.Server())
		}
		time.Sleep(10 * time.Millisecond) // poll interval while the client moves
	}
	if c.SessionID() != sid {
		t.Fatalf("session changed in the move: %x → %x", sid, c.SessionID())
	}
}
