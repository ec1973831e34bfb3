package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestSyncSeesAnotherMembersWrite: a follower cut off from its peers has
// not applied a write another client had acknowledged through the leader.
// A plain get through it answers from what it has (ZooKeeper promises no
// more); with -sync the same get waits until the follower has caught up.
// A proxy between zkcli and the follower holds zkcli's requests until the
// write is acknowledged.
func TestSyncSeesAnotherMembersWrite(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500, Args: []string{"--fault-injection"}})
	var leader *refzk.Server
	for deadline := time.Now().Add(20 * time.Second); leader == nil; {
		if leader = ens.Leader(); leader == nil && time.Now().After(deadline) {
			t.Fatal("no member reports Mode: leader")
		}
		time.Sleep(50 * time.Millisecond) // poll interval while the ensemble elects
	}
	var follower *refzk.Server
	for _, s := range ens.Servers {
		if s != leader {
			follower = s
			break
		}
	}
	writer, err := zkclient.Connect(leader.Addr, 10*time.Second, zkclient.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writer.Close() })
	// The fault endpoints are the admin API's: HTTPS with the operator's
	// certificate (a plain http.Post gets 400 and partitions nothing).
	fault := func(path string) {
		resp, err := follower.AdminClient().Do(context.Background(), http.MethodPost, path, nil)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", path, resp.Status)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", path, resp.Status)
		}
	}

	for i, tc := range []struct {
		name string
		sync bool
		code int
		out  string // stdout when code is 0, else a part of stderr
	}{
		{"without -sync the follower answers from what it applied", false, 1, "no node"},
		{"-sync waits until the follower has the write", true, 0, "written through the leader\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/w" + string(rune('0'+i))
			heal := sync.OnceFunc(func() { fault("/debug/heal") })
			t.Cleanup(heal)
			p := startHoldingProxy(t, follower.Addr, func(op int32) {
				// Healed once the sync is on its way, or as zkcli closes
				// its session (a write: it needs the quorum).
				if op == wire.OpSync || op == wire.OpCloseSession {
					heal()
				}
			})
			args := []string{"-server", p.addr()}
			if tc.sync {
				args = append(args, "-sync")
			}
			type result struct {
				code        int
				out, errOut string
			}
			done := make(chan result, 1)
			go func() {
				var out, errOut bytes.Buffer
				code := run(append(args, "get", path), &out, &errOut)
				done <- result{code, out.String(), errOut.String()}
			}()
			select {
			case <-p.established:
			case r := <-done:
				t.Fatalf("zkcli ended before its session was established: %+v", r)
			case <-time.After(20 * time.Second):
				t.Fatal("no session through the proxy")
			}
			fault("/debug/partition?peers=all")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, _, err := writer.Create(ctx, path, []byte("written through the leader"), 0, zkclient.WorldACL(wire.PermAll)); err != nil {
				t.Fatal(err)
			}
			close(p.release)
			var r result
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("zkcli did not finish")
			}
			got := r.out
			if r.code != 0 {
				got = r.errOut
			}
			if r.code != tc.code || (tc.code == 0 && got != tc.out) || !strings.Contains(got, tc.out) {
				t.Fatalf("zkcli %v: exit %d, stdout %q, stderr %q; want exit %d and %q", args, r.code, r.out, r.errOut, tc.code, tc.out)
			}
		})
	}
}

// holdingProxy forwards one client connection to a server. The client's
// first frame (its handshake) goes through at once; its later frames wait
// until release is closed, and onOp is told each one's opcode once it is
// forwarded.
type holdingProxy struct {
	ln          net.Listener
	established chan struct{} // closed when the server's handshake reply has passed
	release     chan struct{}
}

func startHoldingProxy(t *testing.T, target string, onOp func(op int32)) *holdingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdingProxy{ln: ln, established: make(chan struct{}), release: make(chan struct{})}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			in.Close()
			return
		}
		mu.Lock()
		conns = append(conns, in, out)
		mu.Unlock()
		go func() { // server → client
			frame, err := wire.ReadFrame(out, nil, 1<<20)
			if err != nil {
				return
			}
			if _, err := in.Write(wire.AppendFrame(nil, frame)); err != nil {
				return
			}
			close(p.established)
			_, _ = io.Copy(in, out)
		}()
		for first := true; ; first = false { // client → server
			frame, err := wire.ReadFrame(in, nil, 1<<20)
			if err != nil {
				return
			}
			if !first {
				<-p.release
			}
			if _, err := out.Write(wire.AppendFrame(nil, frame)); err != nil {
				return
			}
			if !first && len(frame) >= 8 {
				onOp(int32(binary.BigEndian.Uint32(frame[4:8])))
			}
		}
	}()
	return p
}

func (p *holdingProxy) addr() string { return p.ln.Addr().String() }
