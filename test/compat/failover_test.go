package compat

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/failoverload"
	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestFailoverKeepsSessions kills the leader of a 3-member ensemble (kill -9)
// under 16 clients writing with 2 s sessions (tickTime 500), three times,
// on ZooKeeper 3.8 and on ours: every client must write again, no session
// may expire, and every acknowledged write must be there afterwards. An
// expiry is a broken guarantee, not a slow run; the times are only logged.
// ZooKeeper, the reference, runs the same body but its expiries are only
// logged: it loses a 2 s session now and then (in about one round in three
// here), when a client refused through the election backs off too long.
func TestFailoverKeepsSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ensembles")
	}
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	bin := refzk.BuildOurs(t)
	for _, kind := range []string{"zookeeper", "zkensemble"} {
		t.Run(kind, func(t *testing.T) {
			o := refzk.Options{TickTime: 500}
			k := &ensembleKind{name: kind, ours: kind == "zkensemble"}
			if k.ours {
				k.ens = refzk.StartOursEnsemble(t, bin, 3, o)
			} else {
				k.ens = refzk.StartEnsemble(t, 3, o)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var clientLog lockedBuffer
			load, err := failoverload.Start(ctx, k.ens.ConnectString(), failoverload.Options{
				// The clients pause at most 200 ms before a reconnect: with
				// the Java client's up to 1 s, a client whose next server is
				// the dead one can spend two pauses (2 s) before it reaches a
				// survivor, and a 2 s session is lost whatever the server does.
				Clients: 16, SessionTimeout: 2 * time.Second, Root: "/failover", ReconnectJitter: 200 * time.Millisecond,
				Logger: slog.New(slog.NewTextHandler(&clientLog, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(load.Stop)
			for round := range 3 {
				leader, _ := k.roles(t)
				load.Mark()
				leader.Kill()
				wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
				r, err := load.AwaitAll(wctx)
				wcancel()
				if err != nil && !k.ours && r.Expired > 0 {
					// The reference: ZooKeeper's guarantee is weaker here (it
					// refuses handshakes through the election, and clients
					// that back off can miss the new leader's fresh timeout).
					t.Logf("zookeeper round %d: %v (ZooKeeper's own behaviour, not asserted)", round, err)
					return
				}
				if err != nil {
					t.Logf("clients' log:\n%s", clientLog.String())
					for _, s := range k.ens.Servers {
						t.Logf("%s log:\n%s", s.Addr, s.Log())
					}
					t.Fatalf("round %d: %v", round, err)
				}
				t.Logf("%s round %d: first write %v, every client %v after the kill", kind, round,
					r.First.Round(time.Millisecond), r.All.Round(time.Millisecond))
				k.restart(t, leader)
			}
			vctx, vcancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer vcancel()
			if err := load.Verify(vctx, k.ens.ConnectString()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer for writers on many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestElectionHoldsHandshakes: after the leader is killed, handshakes on the
// survivors are held through the election and answered once a new leader
// serves, instead of being closed without a reply as ZooKeeper does (a
// client refused by every survivor backs off and can lose a short session).
// Once both survivors say they are not serving (srvr), handshakes are tried
// on both, one after the other, until both have served one whose ping is
// answered; none may be refused. (A handshake that arrives before a survivor
// notices may still be closed with the connections the survivor had.)
func TestElectionHoldsHandshakes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ensembles")
	}
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	k := &ensembleKind{name: "zkensemble", ours: true}
	k.ens = refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 2000})
	for round := range 2 {
		leader, fs := k.roles(t)
		leader.Kill()
		for _, f := range fs {
			awaitFourLetter(f, "srvr", 10*time.Second, func(out string) bool { return !strings.Contains(out, "Mode: ") })
		}
		served := map[*refzk.Server]bool{}
		tries := 0
		for deadline := time.Now().Add(20 * time.Second); len(served) < len(fs); tries++ {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the survivors did not serve within 20 s", round)
			}
			for _, f := range fs {
				s, what := connect(f.Addr, wire.ConnectRequest{TimeOut: 30000})
				if s == nil {
					t.Fatalf("round %d, handshake %d on %s: %s", round, tries, f.Addr, what)
				}
				if s.pingAnswered(2 * time.Second) {
					served[f] = true
				}
				s.close()
			}
		}
		t.Logf("round %d: %d handshakes on each survivor until both served, none refused", round, tries)
		k.restart(t, leader)
	}
}
