package compat

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// TestEnsembleQuorum: what clients see when members of a 3-member ensemble
// die. The leader dies under clients with 1 s sessions: the followers close
// their connections and take no handshake until a new leader is up
// (ZooKeeper refuses them, ours holds them), and the sessions survive. Two members die: the one left closes its connections,
// refuses handshakes and says it is not serving, whether it was a follower
// or the leader, and takes its sessions back once the others return.
func TestEnsembleQuorum(t *testing.T) {
	o := refzk.Options{TickTime: 2000, MinSessionTimeout: 1000}
	differential(t, o, func(t *testing.T, k *ensembleKind, rec *recorder) {
		leaderDiesUnderShortSessions(t, k, rec)
		survivorOfTwoKills(t, k, rec, false)
		survivorOfTwoKills(t, k, rec, true)
	})
}

func addrs(ss []*refzk.Server) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Addr
	}
	return out
}

func leaderDiesUnderShortSessions(t *testing.T, k *ensembleKind, rec *recorder) {
	leader, fs := k.roles(t)
	hosts := addrs(fs)
	g := startGoZK(t, hosts, time.Second)
	kz := startKazoo(t, strings.Join(hosts, ","), time.Second, false)
	rec.add("kazoo before: %s", kz.do("create /kazoo-before"))
	_, kfrom := kz.statesSince(0)
	if _, err := g.c.Create("/gozk-before", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("%s: %v", k.name, err)
	}
	sid, gfrom := g.c.SessionID(), g.mark()

	leader.Kill()
	probes := probeHandshakes(fs, 100*time.Millisecond, 20*time.Second)
	// ZooKeeper refuses handshakes until a new leader serves; ours holds
	// them through a short election (TestElectionHoldsHandshakes): what
	// both must do is serve in the end, never accept and then go silent.
	t.Logf("%s: handshakes on the followers during the election: %s", k.name, probes)
	rec.add("handshakes on the followers during the election, refusals aside: %s", strings.TrimPrefix(probes, "refused, "))
	rec.add("go-zookeeper: session back: %v", g.awaitSession(20*time.Second, gfrom))
	_, err := g.c.Create("/gozk-after", nil, 0, zk.WorldACL(zk.PermAll))
	rec.add("go-zookeeper: write after: %s, same session: %v", goZKError(err), g.c.SessionID() == sid)
	rec.add("kazoo: %s", kz.do("wait CONNECTED"))
	rec.add("kazoo after: %s", kz.do("create /kazoo-after"))
	// A session taken back on a member that could not yet serve it would
	// be dropped again: it must stay up for three session timeouts.
	time.Sleep(3 * time.Second) // the observation window for a second disconnection
	states, _ := kz.statesSince(kfrom)
	rec.add("kazoo states: %s", strings.Join(states, " -> "))
	rec.add("go-zookeeper states: %s", g.kinds(gfrom))
	g.c.Close()
	kz.close()
	k.restart(t, leader)
}

// probeHandshakes opens a session on each member every interval until all
// of them serve (or d passes) and says what happened, in order, without
// repeats: "refused" (closed without a reply), "served" (a session whose
// ping is answered), or "accepted, then silent".
func probeHandshakes(members []*refzk.Server, interval, d time.Duration) string {
	var seen []string
	note := func(s string) {
		if n := len(seen); n == 0 || seen[n-1] != s {
			seen = append(seen, s)
		}
	}
	time.Sleep(interval) // both implementations notice a dead leader's connection within this
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(interval) {
		served := 0
		for _, m := range members {
			s, _ := connect(m.Addr, wire.ConnectRequest{TimeOut: 30000})
			if s == nil {
				note("refused")
				continue
			}
			if s.pingAnswered(500 * time.Millisecond) {
				note("served")
				served++
			} else {
				note("accepted, then silent")
			}
			s.close()
		}
		if served == len(members) {
			break
		}
	}
	return strings.Join(seen, ", ")
}

// pingAnswered sends a ping and waits for its reply.
func (s *rawSession) pingAnswered(d time.Duration) bool {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: wire.XidPing, Type: wire.OpPing}).Encode(e)
	e.EndFrame()
	if _, err := s.nc.Write(e.Bytes()); err != nil {
		return false
	}
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		b, err := s.readFrame(time.Until(deadline))
		if err != nil {
			return false
		}
		var h wire.ReplyHeader
		if h.Decode(wire.NewDecoder(b)) == nil && h.Xid == wire.XidPing {
			return true
		}
	}
	return false
}

// survivorOfTwoKills kills the two members other than a follower (or the
// leader) and records what the one left does.
func survivorOfTwoKills(t *testing.T, k *ensembleKind, rec *recorder, leaderSurvives bool) {
	leader, fs := k.roles(t)
	survivor, others := fs[0], []*refzk.Server{leader, fs[1]}
	if leaderSurvives {
		survivor, others = leader, fs
	}
	role := map[bool]string{false: "follower", true: "leader"}[leaderSurvives]
	s, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000})
	if s == nil {
		t.Fatalf("%s: %s", k.name, outcome)
	}
	defer s.close()
	for _, o := range others {
		o.Kill()
	}
	rec.add("a %s left alone closes its connections: %v", role, s.awaitClose(15*time.Second))
	out := awaitFourLetter(survivor, "srvr", 15*time.Second, func(out string) bool { return !strings.Contains(out, "Mode:") })
	rec.add("srvr: %q", out)
	for _, cmd := range []string{"ruok", "isro", "stat", "mntr", "cons", "conf", "wchs", "dirs"} {
		rec.add("%s: %q", cmd, fourLetter(survivor, cmd))
	}
	rec.add("envi: %q", lineStartingWith(fourLetter(survivor, "envi"), "Environment"))
	_, outcome = connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000})
	rec.add("a new session: %s", outcome)
	_, outcome = connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, SessionID: s.sid, Passwd: s.passwd})
	rec.add("its session again: %s", outcome)
	k.restart(t, others...)
	again, outcome := connect(survivor.Addr, wire.ConnectRequest{TimeOut: 30000, SessionID: s.sid, Passwd: s.passwd})
	rec.add("its session once the others are back: %s", outcome)
	if again != nil {
		rec.add("its session serves: %v", again.pingAnswered(5*time.Second))
		again.close()
	}
}
