package compat

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// The ensemble differential tests: the same scenario runs on a 3-member
// ZooKeeper 3.8 quorum and on 3 of our members, and each records what a
// client sees as lines; the lines must be equal. A scenario records only
// what ZooKeeper makes deterministic (outcomes, not timings) and renders ids,
// ports and zxids relative to its own start.

// ensembleKind is one of the two implementations under test.
type ensembleKind struct {
	name string
	ours bool
	ens  *refzk.Ensemble
}

// differential runs scenario on ZooKeeper and on ours with the same options
// and compares what each recorded.
func differential(t *testing.T, o refzk.Options, scenario func(t *testing.T, k *ensembleKind, rec *recorder)) {
	t.Helper()
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	bin := refzk.BuildOurs(t)
	var lines [2][]string
	var ourLogs []string // our members' logs, shown when the outcomes differ
	for i, name := range []string{"zookeeper", "zkensemble"} {
		k := &ensembleKind{name: name, ours: i == 1}
		start := time.Now()
		if k.ours {
			k.ens = refzk.StartOursEnsemble(t, bin, 3, o)
		} else {
			k.ens = refzk.StartEnsemble(t, 3, o)
		}
		rec := &recorder{t: t, kind: name}
		scenario(t, k, rec)
		lines[i] = rec.lines
		t.Logf("%s: %d outcomes in %v", name, len(rec.lines), time.Since(start).Round(100*time.Millisecond))
		for _, s := range k.ens.Servers {
			s.Kill()
			if k.ours {
				ourLogs = append(ourLogs, fmt.Sprintf("%s log:\n%s", s.Addr, s.Log()))
			}
		}
	}
	defer func() {
		if t.Failed() {
			for _, l := range ourLogs {
				t.Log(l)
			}
		}
	}()
	for i := range max(len(lines[0]), len(lines[1])) {
		var w, g string
		if i < len(lines[0]) {
			w = lines[0][i]
		}
		if i < len(lines[1]) {
			g = lines[1][i]
		}
		if w != g {
			t.Errorf("outcome %d differs:\n zookeeper:  %s\n zkensemble: %s", i, w, g)
		}
	}
}

// recorder collects a scenario's outcomes.
type recorder struct {
	t     *testing.T
	kind  string
	lines []string
}

func (r *recorder) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.t.Logf("%s: %s", r.kind, line)
	r.lines = append(r.lines, line)
}

// roles finds the leader and the followers.
func (k *ensembleKind) roles(t *testing.T) (leader *refzk.Server, followers []*refzk.Server) {
	t.Helper()
	return roles(t, k)
}

func roles(t testing.TB, k *ensembleKind) (leader *refzk.Server, followers []*refzk.Server) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		leader, followers = nil, nil
		for _, s := range k.ens.Servers {
			out, _ := refzk.FourLetter(s.Addr, "srvr")
			switch {
			case strings.Contains(out, "Mode: leader"):
				leader = s
			case strings.Contains(out, "Mode: follower"):
				followers = append(followers, s)
			}
		}
		if leader != nil && len(followers) == len(k.ens.Servers)-1 {
			return leader, followers
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no leader with %d followers", k.name, len(k.ens.Servers)-1)
		}
		time.Sleep(100 * time.Millisecond) // poll interval while the ensemble elects
	}
}

// restart starts killed members again and waits until every member serves.
func (k *ensembleKind) restart(t *testing.T, killed ...*refzk.Server) {
	t.Helper()
	for _, s := range killed {
		s.StartAgain()
	}
	k.roles(t)
}

// rawSession is a session over a raw socket.
type rawSession struct {
	nc     net.Conn
	br     *bufio.Reader
	sid    int64
	passwd []byte
	ro     bool
}

// connect sends a ConnectRequest and returns the session, or nil and what
// happened instead: "closed without a reply", or a reply that is not a session.
func connect(addr string, req wire.ConnectRequest) (*rawSession, string) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, "connection refused"
	}
	if req.Passwd == nil {
		req.Passwd = make([]byte, 16)
	}
	req.HasReadOnly = true
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	req.Encode(e)
	e.EndFrame()
	_, _ = nc.Write(e.Bytes())
	s := &rawSession{nc: nc, br: bufio.NewReader(nc)}
	b, err := s.readFrame(5 * time.Second)
	if err != nil {
		nc.Close()
		return nil, "closed without a reply"
	}
	var resp wire.ConnectResponse
	if err := resp.Decode(wire.NewDecoder(b)); err != nil {
		nc.Close()
		return nil, fmt.Sprintf("not a ConnectResponse: %x", b)
	}
	if resp.TimeOut <= 0 {
		nc.Close()
		return nil, fmt.Sprintf("session refused (timeOut %d, sessionId zero %v, readOnly %v)", resp.TimeOut, resp.SessionID == 0, resp.ReadOnly)
	}
	s.sid, s.passwd, s.ro = resp.SessionID, resp.Passwd, resp.ReadOnly
	return s, fmt.Sprintf("session (timeOut %d, readOnly %v)", resp.TimeOut, resp.ReadOnly)
}

func (s *rawSession) readFrame(d time.Duration) ([]byte, error) {
	_ = s.nc.SetReadDeadline(time.Now().Add(d))
	return wire.ReadFrame(s.br, nil, 4<<20)
}

func (s *rawSession) close() { s.nc.Close() }

// send writes one request frame (req may be nil).
func (s *rawSession) send(xid, op int32, req wire.Record) error {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: xid, Type: op}).Encode(e)
	if req != nil {
		req.Encode(e)
	}
	e.EndFrame()
	_, err := s.nc.Write(e.Bytes())
	return err
}

// call sends a request and renders its reply (and the notifications before
// it) with render, zxids relative to base; "EOF" when the server closed.
func (s *rawSession) call(xid, op int32, req wire.Record, base int64) string {
	if err := s.send(xid, op, req); err != nil {
		return "EOF"
	}
	var parts []string
	for {
		b, err := s.readFrame(10 * time.Second)
		if err != nil {
			return strings.Join(append(parts, "EOF"), " | ")
		}
		var h wire.ReplyHeader
		d := wire.NewDecoder(b)
		if err := h.Decode(d); err != nil {
			return strings.Join(append(parts, "undecodable"), " | ")
		}
		parts = append(parts, render(h, op, d.Rest(), base, nil))
		if h.Xid == xid {
			return strings.Join(parts, " | ")
		}
	}
}

// zxid is the member's last zxid, from a ping's reply.
func (s *rawSession) zxid(t *testing.T) int64 {
	t.Helper()
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	(&wire.RequestHeader{Xid: wire.XidPing, Type: wire.OpPing}).Encode(e)
	e.EndFrame()
	_, _ = s.nc.Write(e.Bytes())
	for {
		b, err := s.readFrame(10 * time.Second)
		if err != nil {
			t.Fatalf("ping: %v", err)
		}
		var h wire.ReplyHeader
		_ = h.Decode(wire.NewDecoder(b))
		if h.Xid == wire.XidPing {
			return h.Zxid
		}
	}
}

// awaitClose reports whether the server closes the session within d (what
// it sends meanwhile is read and dropped).
func (s *rawSession) awaitClose(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := s.readFrame(time.Until(deadline)); err != nil {
			var ne net.Error
			return !errors.As(err, &ne) || !ne.Timeout()
		}
	}
	return false
}

// fourLetter is the answer to cmd, "" when the member does not answer.
func fourLetter(s *refzk.Server, cmd string) string {
	out, err := refzk.FourLetter(s.Addr, cmd)
	if err != nil {
		return ""
	}
	return out
}

// awaitFourLetter polls cmd until match holds (or d passes) and returns the last answer.
func awaitFourLetter(s *refzk.Server, cmd string, d time.Duration, match func(string) bool) string {
	deadline := time.Now().Add(d)
	for {
		out := fourLetter(s, cmd)
		if match(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond) // poll interval while the member's state changes
	}
}

// lineStartingWith is the first line of out that starts with prefix.
func lineStartingWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return "(no " + prefix + " line)"
}
