package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func dial(t *testing.T, connect string, timeout time.Duration) *zkclient.Conn {
	t.Helper()
	c, err := zkclient.Connect(connect, timeout, zkclient.WithLogger(quiet),
		zkclient.WithReconnectJitter(50*time.Millisecond), zkclient.WithBackoff(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// retry runs op until it succeeds or the deadline passes; connection loss
// during a failover is retried, as applications do.
func retry(t *testing.T, what string, op func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := op()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond) // retry interval during failover
	}
}

func leaderOf(t *testing.T, e *refzk.Ensemble) *refzk.Server {
	t.Helper()
	var l *refzk.Server
	retry(t, "finding the leader", func() error {
		if l = e.Leader(); l == nil {
			return errors.New("no member reports Mode: leader")
		}
		return nil
	})
	return l
}

// TestEnsembleFailover runs three members as separate processes: writes
// through any member, the leader is killed, a new one serves writes, the
// session and its ephemeral survive, and the killed member comes back with
// everything. An abandoned session then expires once, everywhere.
func TestEnsembleFailover(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500})
	ctx := context.Background()
	acl := zkclient.WorldACL(wire.PermAll)

	c := dial(t, ens.ConnectString(), 8*time.Second)
	retry(t, "create the ephemeral", func() error {
		_, _, err := c.Create(ctx, "/owner", []byte("x"), zkclient.Ephemeral, acl)
		if errors.Is(err, wire.ErrNodeExists) {
			return nil
		}
		return err
	})
	// A write through every member, each read back through the others after sync.
	for i, s := range ens.Servers {
		m := dial(t, s.Addr, 8*time.Second)
		retry(t, "write through a member", func() error {
			_, _, err := m.Create(ctx, fmt.Sprintf("/via%d", i), nil, zkclient.Persistent, acl)
			if errors.Is(err, wire.ErrNodeExists) {
				return nil
			}
			return err
		})
	}
	for _, s := range ens.Servers {
		m := dial(t, s.Addr, 8*time.Second)
		retry(t, "read everywhere", func() error {
			if err := m.Sync(ctx, "/"); err != nil {
				return err
			}
			children, _, err := m.Children(ctx, "/")
			if err != nil {
				return err
			}
			if len(children) != 5 { // zookeeper, owner, via0..2
				return fmt.Errorf("%s sees %v", s.Addr, children)
			}
			return nil
		})
	}

	// /zookeeper/config lists the members in ZooKeeper's format.
	data, _, _, err := c.GetConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := zkclient.ParseEnsembleConfig(data)
	if err != nil || len(cfg.Members) != 3 || cfg.Version == 0 || cfg.ConnectString() == "" {
		t.Fatalf("/zookeeper/config %q: %+v %v", data, cfg, err)
	}
	for _, s := range ens.Servers {
		if !strings.Contains(cfg.ConnectString(), s.Addr) {
			t.Fatalf("/zookeeper/config lacks %s: %q", s.Addr, data)
		}
	}

	sid := c.SessionID()
	leader := leaderOf(t, ens)
	start := time.Now()
	leader.Kill()
	var newLeader *refzk.Server
	retry(t, "a new leader", func() error {
		newLeader = ens.Leader()
		if newLeader == nil || newLeader == leader {
			return errors.New("no new leader yet")
		}
		return nil
	})
	t.Logf("leader failover: a new leader answered srvr %v after the old one was killed", time.Since(start))
	retry(t, "write after failover", func() error {
		_, err := c.Set(ctx, "/via0", []byte("after"), -1)
		return err
	})
	t.Logf("first write acknowledged %v after the leader was killed", time.Since(start))
	if c.SessionID() != sid {
		t.Fatalf("the session changed across the failover: %x → %x", sid, c.SessionID())
	}
	st, err := c.Exists(ctx, "/owner")
	if err != nil || st == nil || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after failover: %+v %v", st, err)
	}

	// The killed member restarts from its data and catches up.
	leader.Restart()
	back := dial(t, leader.Addr, 8*time.Second)
	retry(t, "the restarted member catches up", func() error {
		if err := back.Sync(ctx, "/"); err != nil {
			return err
		}
		data, _, err := back.Get(ctx, "/via0")
		if err != nil || string(data) != "after" {
			return fmt.Errorf("%q %w", data, err)
		}
		return nil
	})

	// A session that reattaches to another member keeps going there, and the
	// member it left closes the old connection (SessionMoved).
	a, b := rawConnect(t, ens.Servers[1].Addr, 0, nil), (*rawSession)(nil)
	b = rawConnect(t, ens.Servers[2].Addr, a.sid, a.passwd)
	if b.sid != a.sid {
		t.Fatalf("reattach on another member gave session %x, want %x", b.sid, a.sid)
	}
	a.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := a.nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("the member the session left kept its old connection open")
	}

	// An abandoned session (its client gone without closing) expires once,
	// and its ephemeral disappears on every member.
	px := newCutter(t, ens.Servers[0].Addr)
	lost := dial(t, px.addr(), 2*time.Second)
	retry(t, "ephemeral of the session to abandon", func() error {
		_, _, err := lost.Create(ctx, "/abandoned", nil, zkclient.Ephemeral, acl)
		if errors.Is(err, wire.ErrNodeExists) {
			return nil
		}
		return err
	})
	px.cutAll()
	start = time.Now()
	for _, s := range ens.Servers {
		m := dial(t, s.Addr, 8*time.Second)
		retry(t, "the abandoned ephemeral disappears", func() error {
			st, err := m.Exists(ctx, "/abandoned")
			if err != nil {
				return err
			}
			if st != nil {
				return fmt.Errorf("still on %s", s.Addr)
			}
			return nil
		})
	}
	t.Logf("abandoned session (timeout %v) gone on every member %v after its client vanished", lost.SessionTimeout(), time.Since(start))
}

// cutter forwards to a server until cut, then refuses, so a client vanishes
// without closing its session.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln}
	t.Cleanup(func() { ln.Close(); c.cutAll() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			dead := c.dead
			c.mu.Unlock()
			out, err := net.Dial("tcp", target)
			if dead || err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) cutAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for _, x := range c.conns {
		x.Close()
	}
}

type rawSession struct {
	nc     net.Conn
	sid    int64
	passwd []byte
}

// rawConnect performs a handshake by hand (a new session when sid is 0).
func rawConnect(t *testing.T, addr string, sid int64, passwd []byte) *rawSession {
	t.Helper()
	var s *rawSession
	retry(t, "handshake with "+addr, func() error {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		if passwd == nil {
			passwd = make([]byte, 16)
		}
		nc.Write(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 10000, SessionID: sid, Passwd: passwd})))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := wire.ReadFrame(nc, nil, 1<<20)
		if err != nil {
			nc.Close()
			return err
		}
		var resp wire.ConnectResponse
		if err := resp.Decode(wire.NewDecoder(b)); err != nil || resp.SessionID == 0 {
			nc.Close()
			return fmt.Errorf("handshake refused: %+v %w", resp, err)
		}
		nc.SetReadDeadline(time.Time{})
		t.Cleanup(func() { nc.Close() })
		s = &rawSession{nc: nc, sid: resp.SessionID, passwd: resp.Passwd}
		return nil
	})
	return s
}

func dialTCP(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

// TestLeaderHandsOverOnStop: a leader stopped by SIGTERM (a pod deleted, a
// node drained) hands its office to another voter before it exits, rather
// than leaving the others to wait out an election timeout.
func TestLeaderHandsOverOnStop(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 2000})
	leader := leaderOf(t, ens)
	start := time.Now()
	leader.Stop()
	if !strings.Contains(leader.Log(), "handed leadership over before stopping") {
		t.Fatalf("the stopped leader did not hand over:\n%s", leader.Log())
	}
	retry(t, "the new leader", func() error {
		if l := ens.Leader(); l == nil || l == leader {
			return errors.New("no new leader yet")
		}
		return nil
	})
	t.Logf("a new leader answered srvr %v after SIGTERM to the old one", time.Since(start))
}
