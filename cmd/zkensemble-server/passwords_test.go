package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/sessions"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// handshake sends one ConnectRequest and returns the answer; a closed
// connection without a reply reads as a refusal (SessionID 0).
func handshake(t *testing.T, addr string, sid int64, passwd []byte) wire.ConnectResponse {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if passwd == nil {
		passwd = make([]byte, sessions.PasswordLen)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	nc.Write(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 40000, SessionID: sid, Passwd: passwd})))
	var resp wire.ConnectResponse
	if b, err := wire.ReadFrame(nc, nil, 1<<20); err == nil {
		if err := resp.Decode(wire.NewDecoder(b)); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}

// TestSessionPasswordsAcrossMembers (real member processes): the password a
// member gives is not ZooKeeper's; every other member accepts it and refuses
// the ZooKeeper-computed one; after every member restarts from a snapshot
// (snapCount is small) the secret is the same, so the session still reattaches.
func TestSessionPasswordsAcrossMembers(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 2000, Extra: map[string]string{"snapCount": "20"}})
	var created wire.ConnectResponse
	retry(t, "a new session", func() error {
		if created = handshake(t, ens.Servers[0].Addr, 0, nil); created.SessionID == 0 {
			return fmt.Errorf("refused")
		}
		return nil
	})
	sid := created.SessionID
	if len(created.Passwd) != sessions.PasswordLen || bytes.Equal(created.Passwd, sessions.ZooKeeperPassword(sid)) {
		t.Fatalf("password %x: want %d bytes that are not ZooKeeper's", created.Passwd, sessions.PasswordLen)
	}
	check := func(when string) {
		t.Helper()
		for _, srv := range ens.Servers {
			if got := handshake(t, srv.Addr, sid, sessions.ZooKeeperPassword(sid)); got.SessionID != 0 {
				t.Fatalf("%s: %s accepted the ZooKeeper-computed password: %+v", when, srv.Addr, got)
			}
			var got wire.ConnectResponse
			retry(t, when+": reattach through "+srv.Addr, func() error {
				if got = handshake(t, srv.Addr, sid, created.Passwd); got.SessionID != sid {
					return fmt.Errorf("refused: %+v", got)
				}
				return nil
			})
			if !bytes.Equal(got.Passwd, created.Passwd) {
				t.Fatalf("%s: %s answered another password", when, srv.Addr)
			}
		}
	}
	check("running")
	// Enough writes for every member to snapshot, then restart them all.
	c := dial(t, ens.ConnectString(), 30*time.Second)
	for i := 0; i < 50; i++ {
		p := fmt.Sprintf("/pw-%02d", i)
		retry(t, "write "+p, func() error {
			_, _, err := c.Create(context.Background(), p, nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
			if err != nil && !errors.Is(err, wire.ErrNodeExists) {
				return err
			}
			return nil
		})
	}
	check("before the restart") // touches the session: it has a full timeout ahead
	for _, srv := range ens.Servers {
		if snaps, _ := filepath.Glob(filepath.Join(srv.DataDir, "version-2", "snap", "*.snap")); len(snaps) == 0 {
			t.Fatalf("%s wrote no snapshot in %s", srv.Addr, srv.DataDir)
		}
	}
	ens.RestartAll()
	check("after a restart from snapshots")
}
