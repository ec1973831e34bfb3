package transport

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/certs/certstest"
)

// TestHandshake: a peer is heard only when it belongs to the ensemble, names
// this member, is in its configuration and proves what the mode asks.
func TestHandshake(t *testing.T) {
	p, other := certstest.New(t, "members"), certstest.New(t, "members")
	m1 := withTLS(p.Files("m1", certs.Member("e", 1)))
	m2 := withTLS(p.Files("m2", certs.Member("e", 2)))
	tests := []struct {
		name      string
		acceptor  []func(*Config)
		dialer    []func(*Config)
		ensemble  string // the dialer's
		to        uint64 // whom the dialer thinks it reaches
		unknown   bool   // the acceptor does not know the dialer
		delivered bool
	}{
		{name: "insecure, member", ensemble: "e", to: 1, delivered: true},
		{name: "insecure, another ensemble", ensemble: "f", to: 1},
		{name: "insecure, no ensemble id", ensemble: "", to: 1},
		{name: "insecure, wrong member id", ensemble: "e", to: 7},
		{name: "insecure, not in the configuration", ensemble: "e", to: 1, unknown: true},
		{name: "secret, shared", acceptor: []func(*Config){withSecret("s")}, dialer: []func(*Config){withSecret("s")}, ensemble: "e", to: 1, delivered: true},
		{name: "secret, wrong", acceptor: []func(*Config){withSecret("s")}, dialer: []func(*Config){withSecret("x")}, ensemble: "e", to: 1},
		{name: "secret, none", acceptor: []func(*Config){withSecret("s")}, ensemble: "e", to: 1},
		{name: "TLS, member", acceptor: []func(*Config){m1}, dialer: []func(*Config){m2}, ensemble: "e", to: 1, delivered: true},
		{name: "TLS, another CA", acceptor: []func(*Config){m1}, dialer: []func(*Config){withTLS(other.Files("m2", certs.Member("e", 2)))}, ensemble: "e", to: 1},
		{name: "TLS, certificate of another member", acceptor: []func(*Config){m1}, dialer: []func(*Config){withTLS(p.Files("m3", certs.Member("e", 3)))}, ensemble: "e", to: 1},
		{name: "TLS, certificate of another ensemble", acceptor: []func(*Config){m1}, dialer: []func(*Config){withTLS(p.Files("f2", certs.Member("f", 2)))}, ensemble: "e", to: 1},
		{name: "TLS, none", acceptor: []func(*Config){m1}, ensemble: "e", to: 1},
		{name: "TLS acceptor of another CA", acceptor: []func(*Config){withTLS(other.Files("m1", certs.Member("e", 1)))}, dialer: []func(*Config){m2}, ensemble: "e", to: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newNode(t, 1, "e", tc.acceptor...)
			b := newNode(t, 2, tc.ensemble, tc.dialer...)
			if !tc.unknown {
				knows(a, b)
			}
			b.t.AddPeer(tc.to, a.t.Addr())
			if tc.delivered {
				b.t.Send([]pb.Message{heartbeat(2, tc.to)})
				if m := a.raf.expect(t, "a member's heartbeat"); m.From != 2 {
					t.Fatalf("delivered %+v", m)
				}
				return
			}
			// Refused: the dialer's stream fails (its Raft hears the peer is
			// unreachable) and nothing reaches the acceptor's Raft.
			for i := 0; i < 3; i++ {
				b.t.Send([]pb.Message{heartbeat(2, tc.to)})
				select {
				case <-b.raf.unreachable:
				case <-time.After(10 * time.Second):
					t.Fatal("the refused stream was never reported unreachable")
				}
			}
			a.raf.none(t, "a refused peer")
		})
	}
}

// rawDial speaks the handshake by hand, as an attacker would; it returns the
// acceptor's verdict.
func rawDial(t *testing.T, addr string, h *hello) (net.Conn, *bufio.Reader, verdict, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(h.encode()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	code, reason, err := readVerdict(br)
	if err != nil {
		t.Fatal(err)
	}
	return c, br, code, reason
}

// TestRefusalsNameNoIDs: a refused dialer learns nothing about the member.
func TestRefusalsNameNoIDs(t *testing.T) {
	a := newNode(t, 1, "ensemble-uid-1234")
	for _, h := range []*hello{
		{ensemble: "other", from: 2, to: 1},
		{ensemble: "ensemble-uid-1234", from: 2, to: 9},
		{ensemble: "ensemble-uid-1234", from: 42, to: 1},
	} {
		_, _, code, reason := rawDial(t, a.t.Addr(), h)
		if code != refused || reason != reasonRefused {
			t.Errorf("hello %+v: verdict %d %q, want %d %q", h, code, reason, refused, reasonRefused)
		}
		if strings.Contains(reason, "1234") || strings.Contains(reason, "1") {
			t.Errorf("the refusal %q names an id", reason)
		}
	}
}

// TestRemovedVerdictNeedsAuthentication: a verdict that this member was
// removed stops it only when the peer proved who it is.
func TestRemovedVerdictNeedsAuthentication(t *testing.T) {
	t.Run("authenticated peer", func(t *testing.T) {
		a := newNode(t, 1, "e", withSecret("s"))
		b := newNode(t, 2, "e", withSecret("s"))
		knows(a, b)
		a.mem.mu.Lock()
		a.mem.gone[2] = true
		a.mem.mu.Unlock()
		b.t.AddPeer(1, a.t.Addr())
		b.t.Send([]pb.Message{heartbeat(2, 1)})
		select {
		case got := <-b.mem.removals:
			if !strings.HasPrefix(got, "1: ") {
				t.Fatalf("removed by %s", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the member's removal was not believed")
		}
	})
	for _, mode := range []struct {
		name string
		opts []func(*Config)
	}{
		{"insecure", nil},
		{"secret", []func(*Config){withSecret("s")}},
		{"TLS", []func(*Config){withTLS(certstest.New(t, "members").Files("m2", certs.Member("e", 2)))}},
	} {
		t.Run("forged by an impostor, "+mode.name, func(t *testing.T) {
			b := newNode(t, 2, "e", mode.opts...)
			impostor := forgeRemoved(t)
			knows(b)
			b.t.AddPeer(1, impostor)
			for i := 0; i < 3; i++ {
				b.t.Send([]pb.Message{heartbeat(2, 1)})
				select {
				case <-b.raf.unreachable:
				case <-time.After(10 * time.Second):
					t.Fatal("no failure reported")
				}
			}
			select {
			case got := <-b.mem.removals:
				t.Fatalf("an impostor's removal verdict was believed: %s", got)
			default:
			}
		})
	}
}

// forgeRemoved listens as an impostor that answers any hello with "removed".
func forgeRemoved(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := readHello(c); err == nil {
					_ = writeVerdict(c, removed, "you were removed")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestCertificateRotation: new certificate files, a new CA trusted through a
// bundle, then the old CA dropped; every stream dialed after a change (here
// forced by ResetStreams) uses what is on disk, and none stays down.
func TestCertificateRotation(t *testing.T) {
	p := certstest.New(t, "members")
	f1, f2 := p.Files("m1", certs.Member("e", 1)), p.Files("m2", certs.Member("e", 2))
	a := newNode(t, 1, "e", withTLS(f1))
	b := newNode(t, 2, "e", withTLS(f2))
	knows(a, b)
	a.t.AddPeer(2, b.t.Addr())
	b.t.AddPeer(1, a.t.Addr())
	exchange := func(step string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for _, dir := range []struct {
			from, to *node
		}{{a, b}, {b, a}} {
			for {
				dir.from.t.Send([]pb.Message{heartbeat(dir.from.t.cfg.ID, dir.to.t.cfg.ID)})
				select {
				case <-dir.to.raf.got:
				case <-time.After(100 * time.Millisecond): // resend: the first may go to a stream being replaced
					if time.Now().After(deadline) {
						t.Fatalf("%s: member %d does not hear member %d", step, dir.to.t.cfg.ID, dir.from.t.cfg.ID)
					}
					continue
				}
				break
			}
		}
	}
	exchange("before")
	next, err := certs.NewCA("next", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"new leaves of the same CA", func() { p.Files("m1", certs.Member("e", 1)); p.Files("m2", certs.Member("e", 2)) }},
		{"bundle trusts the next CA too", func() { p.Write("ca.crt", append(append([]byte{}, p.CA.CertPEM...), next.CertPEM...)) }},
		{"leaves of the next CA", func() { p.CA = next; p.Files("m1", certs.Member("e", 1)); p.Files("m2", certs.Member("e", 2)) }},
		{"the old CA leaves the bundle", func() { p.Write("ca.crt", next.CertPEM) }},
	}
	for _, s := range steps {
		s.do()
		a.t.ResetStreams()
		b.t.ResetStreams()
		exchange(s.name)
	}
	// The streams were dialed again with what is on disk: a bundle that
	// trusts neither member's CA keeps them down.
	stranger, err := certs.NewCA("stranger", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.Write("ca.crt", stranger.CertPEM)
	a.t.ResetStreams()
	b.t.ResetStreams()
	for len(a.raf.unreachable) > 0 {
		<-a.raf.unreachable
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.t.Send([]pb.Message{heartbeat(1, 2)})
		select {
		case <-a.raf.unreachable:
			return
		case <-time.After(100 * time.Millisecond): // poll interval
		}
		if time.Now().After(deadline) {
			t.Fatal("a stream stayed up with a bundle that trusts neither member")
		}
	}
}
