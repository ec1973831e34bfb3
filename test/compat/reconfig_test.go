package compat

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/datatree"
	"github.com/zkensemble/zkensemble/pkg/serverspec"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

var reconfigOpts = refzk.Options{TickTime: 2000, ReconfigEnabled: true, SuperDigest: datatree.DigestID("super", "test")}

// TestEnsembleReconfig: the reconfig opcode's answers on a 3-member
// ensemble: malformed input; a whole new list that changes a member's client
// address; a follower removed through its own connection; the leader removed
// through its own connection. Each answer is the new /zookeeper/config, which
// every member left then serves.
func TestEnsembleReconfig(t *testing.T) {
	differential(t, reconfigOpts, func(t *testing.T, k *ensembleKind, rec *recorder) {
		leader, fs := k.roles(t)
		names := newConfigNames(t, leader, map[string]*refzk.Server{"L": leader, "F1": fs[0], "F2": fs[1]})
		cl, cf1, cf2 := superSession(t, leader), superSession(t, fs[0]), superSession(t, fs[1])
		for _, in := range []struct{ joining, leaving, members string }{
			{joining: "some thing"}, {joining: "server.9=foo"}, {joining: "server.9=127.0.0.1:1:2:voter;3"},
			{leaving: "abc"}, {members: "server.1=127.0.0.1:1"},
		} {
			code, _ := reconfig(cf1, in.joining, in.leaving, in.members)
			rec.add("reconfig(%q, %q, %q): %s", in.joining, in.leaving, in.members, code)
		}

		// A whole new list: the same members, F2 with another client address.
		cfg, err := serverspec.ParseConfig(getConfig(t, cl))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, s := range cfg.Servers {
			if s.ID == names.ids["F2"] {
				s.ClientHost = "localhost"
			}
			lines = append(lines, s.Line())
		}
		code, data := reconfig(cl, "", "", strings.Join(lines, ","))
		rec.add("a whole new list through the leader: %s %s", code, names.render(data))

		code, data = reconfig(cf1, "", strconv.FormatUint(names.ids["F1"], 10), "")
		rec.add("F1 removed through its own connection: %s %s", code, names.render(data))
		rec.add("F1 still runs: %v", fourLetter(fs[0], "ruok") == "imok")
		if k.ours {
			// ZooKeeper's removed server goes on serving its clients as a
			// non-voting follower; ours serves nothing (docs/compatibility.md).
			if !cf1.awaitClose(10 * time.Second) {
				t.Errorf("%s: the removed member kept its client's connection", k.name)
			}
		}
		rec.add("/zookeeper/config through F2: %s", names.render(getConfig(t, cf2)))

		code, data = reconfig(cl, "", strconv.FormatUint(names.ids["L"], 10), "")
		rec.add("L removed through its own connection: %s %s", code, names.render(data))
		rec.add("L still runs: %v", fourLetter(leader, "ruok") == "imok")
		rec.add("F2: %s", lineStartingWith(awaitFourLetter(fs[1], "srvr", 15*time.Second, func(out string) bool {
			return strings.Contains(out, "Mode: leader")
		}), "Mode"))
		rec.add("/zookeeper/config through F2: %s", names.render(getConfig(t, reconnectSuper(t, fs[1], cf2))))
	})
}

// TestEnsembleReconfigLeaderThroughFollower removes the leader through a
// follower's connection: both apply it; ZooKeeper's follower loses its
// leader and closes the connection before it answers, ours answers OK.
func TestEnsembleReconfigLeaderThroughFollower(t *testing.T) {
	differential(t, reconfigOpts, func(t *testing.T, k *ensembleKind, rec *recorder) {
		leader, fs := k.roles(t)
		names := newConfigNames(t, leader, map[string]*refzk.Server{"L": leader, "F1": fs[0], "F2": fs[1]})
		cf1 := superSession(t, fs[0])
		code, data := reconfig(cf1, "", strconv.FormatUint(names.ids["L"], 10), "")
		t.Logf("%s: the answer to removing the leader through a follower: %s %s", k.name, code, names.render(data))
		if k.ours && code != "OK" {
			t.Errorf("%s: removing the leader through a follower answered %s", k.name, code)
		}
		rec.add("L still runs: %v", fourLetter(leader, "ruok") == "imok")
		for _, f := range []string{"F1", "F2"} {
			s := fs[0]
			if f == "F2" {
				s = fs[1]
			}
			awaitFourLetter(s, "srvr", 15*time.Second, func(out string) bool { return strings.Contains(out, "Mode:") })
			rec.add("/zookeeper/config through %s: %s", f, names.render(getConfig(t, reconnectSuper(t, s, nil))))
		}
	})
}

func superSession(t *testing.T, s *refzk.Server) *rawSession {
	t.Helper()
	c, outcome := connect(s.Addr, wire.ConnectRequest{TimeOut: 30000})
	if c == nil {
		t.Fatalf("%s: %s", s.Addr, outcome)
	}
	t.Cleanup(c.close)
	if r := c.call(wire.XidAuth, wire.OpAuth, &wire.AuthPacket{Scheme: "digest", Auth: []byte("super:test")}, 0); !strings.Contains(r, "err=0") {
		t.Fatalf("super auth: %s", r)
	}
	return c
}

// reconnectSuper returns old if it still serves, else a new super session.
func reconnectSuper(t *testing.T, s *refzk.Server, old *rawSession) *rawSession {
	t.Helper()
	if old != nil && old.pingAnswered(2*time.Second) {
		return old
	}
	var c *rawSession
	for deadline := time.Now().Add(15 * time.Second); c == nil; {
		c, _ = connect(s.Addr, wire.ConnectRequest{TimeOut: 30000})
		if c == nil && time.Now().After(deadline) {
			t.Fatalf("%s does not take sessions", s.Addr)
		}
		if c == nil {
			time.Sleep(100 * time.Millisecond) // poll interval while the member settles
		}
	}
	t.Cleanup(c.close)
	_ = c.call(wire.XidAuth, wire.OpAuth, &wire.AuthPacket{Scheme: "digest", Auth: []byte("super:test")}, 0)
	return c
}

// reconfig sends the opcode and returns the error's name and, on success,
// the new configuration.
func reconfig(c *rawSession, joining, leaving, members string) (string, []byte) {
	b, h, ok := c.roundTrip(50, wire.OpReconfig, &wire.ReconfigRequest{JoiningServers: joining, LeavingServers: leaving, NewMembers: members, CurConfigID: -1})
	if !ok {
		return "connection closed", nil
	}
	if h.Err != 0 {
		return wire.ErrCode(h.Err).Error(), nil
	}
	var resp wire.GetDataResponse
	if err := resp.Decode(wire.NewDecoder(b)); err != nil {
		return "undecodable", nil
	}
	return "OK", resp.Data
}

// getConfig syncs and reads /zookeeper/config.
func getConfig(t *testing.T, c *rawSession) []byte {
	t.Helper()
	if _, h, ok := c.roundTrip(60, wire.OpSync, &wire.PathRequest{Path: "/zookeeper/config"}); !ok || h.Err != 0 {
		t.Fatalf("sync: %v %d", ok, h.Err)
	}
	b, h, ok := c.roundTrip(61, wire.OpGetData, &wire.PathWatchRequest{Path: "/zookeeper/config"})
	var resp wire.GetDataResponse
	if !ok || h.Err != 0 || resp.Decode(wire.NewDecoder(b)) != nil {
		t.Fatalf("getData /zookeeper/config: %v %d", ok, h.Err)
	}
	return resp.Data
}

// roundTrip sends a request and returns its reply's body and header
// (notifications before it are skipped); false when the server closed.
func (s *rawSession) roundTrip(xid, op int32, req wire.Record) ([]byte, wire.ReplyHeader, bool) {
	if err := s.send(xid, op, req); err != nil {
		return nil, wire.ReplyHeader{}, false
	}
	for {
		b, err := s.readFrame(70 * time.Second)
		if err != nil {
			return nil, wire.ReplyHeader{}, false
		}
		var h wire.ReplyHeader
		d := wire.NewDecoder(b)
		if h.Decode(d) == nil && h.Xid == xid {
			return d.Rest(), h, true
		}
	}
}

// configNames renders /zookeeper/config with the members named by role
// (L, F1, F2) and their ports by kind, so two ensembles compare.
type configNames struct {
	ids   map[string]uint64
	names map[string]string // "server.<id>" and port numbers → names
}

func newConfigNames(t *testing.T, leader *refzk.Server, roles map[string]*refzk.Server) configNames {
	t.Helper()
	c, outcome := connect(leader.Addr, wire.ConnectRequest{TimeOut: 30000})
	if c == nil {
		t.Fatal(outcome)
	}
	defer c.close()
	cfg, err := serverspec.ParseConfig(getConfig(t, c))
	if err != nil {
		t.Fatal(err)
	}
	n := configNames{ids: map[string]uint64{}, names: map[string]string{}}
	for role, s := range roles {
		for _, sp := range cfg.Servers {
			if sp.ClientPort != s.ClientPort {
				continue
			}
			n.ids[role] = sp.ID
			n.names[fmt.Sprintf("server.%d", sp.ID)] = "server." + role
			n.names[strconv.Itoa(sp.QuorumPort)] = role + ".quorum"
			n.names[strconv.Itoa(sp.ElectionPort)] = role + ".election"
			n.names[strconv.Itoa(sp.ClientPort)] = role + ".client"
		}
	}
	if len(n.ids) != len(roles) {
		t.Fatalf("/zookeeper/config %+v does not list every member", cfg)
	}
	return n
}

var configToken = regexp.MustCompile(`server\.[0-9]+|[0-9]{4,5}`)

// render names the members and ports, drops the version (a zxid: failed
// reconfigs use one on ZooKeeper only) and sorts the lines.
func (n configNames) render(data []byte) string {
	if data == nil {
		return "(none)"
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "version=") {
			continue
		}
		lines = append(lines, configToken.ReplaceAllStringFunc(l, func(tok string) string {
			if name, ok := n.names[tok]; ok {
				return name
			}
			return tok
		}))
	}
	sort.Strings(lines)
	return strings.Join(lines, " | ")
}
