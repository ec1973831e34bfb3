package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// waitExit waits until the process exits on its own (a refused start).
func waitExit(t *testing.T, s *refzk.Server, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !s.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not exit; log:\n%s", s.Addr, s.Log())
		}
		time.Sleep(50 * time.Millisecond) // poll interval while it starts
	}
}

// TestForceNewClusterFromSurvivor: three member processes take writes; two
// are killed and their data directories deleted (a majority lost for
// good). A forced start naming another member or ensemble is refused; the
// survivor, forced, serves every acknowledged write and takes new ones, a
// restart with the same flag does not force again, the lost ids join again
// on empty directories, and the three serve.
func TestForceNewClusterFromSurvivor(t *testing.T) {
	bin := refzk.BuildOurs(t)
	ctx := context.Background()
	pki := refzk.NewPKI(t)
	dirs := map[int]string{}
	for id := 1; id <= 3; id++ {
		dirs[id] = filepath.Join(t.TempDir(), "data")
	}
	opts := func(args ...string) refzk.Options {
		return refzk.Options{TickTime: 500, PKI: pki, Args: args, DataDir: func(id int) string { return dirs[id] }}
	}
	ports := []refzk.MemberPorts{refzk.AllocMember(t, 1), refzk.AllocMember(t, 2), refzk.AllocMember(t, 3)}
	servers := make([]*refzk.Server, 4)
	for id := 1; id <= 3; id++ {
		servers[id] = refzk.StartOursMember(t, bin, ports[id-1], ports, opts())
	}
	for _, s := range servers[1:] {
		if err := s.WaitServing(60 * time.Second); err != nil {
			t.Fatalf("%s: %v\n%s", s.Addr, err, s.Log())
		}
	}
	writer := dial(t, servers[2].Addr, 10*time.Second)
	var acked []string
	for i := 0; i < 200; i++ {
		p := fmt.Sprintf("/w%04d", i)
		retry(t, "create "+p, func() error {
			_, _, err := writer.Create(ctx, p, []byte("v"), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
			if errors.Is(err, wire.ErrNodeExists) {
				return nil
			}
			return err
		})
		acked = append(acked, p)
	}
	// The survivor must hold every write: sync through it.
	check := dial(t, servers[1].Addr, 10*time.Second)
	retry(t, "sync on the survivor", func() error { return check.Sync(ctx, "/") })
	before, err := servers[1].AdminClient().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		if s != nil {
			s.Kill()
		}
	}
	for id := 2; id <= 3; id++ {
		if err := os.RemoveAll(dirs[id]); err != nil {
			t.Fatal(err)
		}
	}

	for _, req := range []string{"default/2/n1", "another/1/n1"} {
		s := refzk.StartOursMember(t, bin, ports[0], ports, opts("--force-new-cluster="+req))
		waitExit(t, s, 30*time.Second)
		if s.ExitCode() == 0 || !strings.Contains(s.Log(), "force-new-cluster refused") {
			t.Fatalf("forced start with %q: exit %d, log:\n%s", req, s.ExitCode(), s.Log())
		}
	}
	survivor := refzk.StartOursMember(t, bin, ports[0], ports, opts("--force-new-cluster=default/1/n1"))
	if err := survivor.WaitServing(60 * time.Second); err != nil {
		t.Fatalf("forced survivor: %v\n%s", err, survivor.Log())
	}
	servers = []*refzk.Server{nil, survivor, nil, nil}
	check = dial(t, survivor.Addr, 10*time.Second)
	retry(t, "write on the survivor", func() error {
		_, _, err := check.Create(ctx, "/after", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		return err
	})
	survivor.Restart() // the flag is still there: it must not force again
	if !strings.Contains(survivor.Log(), "carried out before") {
		t.Fatalf("restart with the same request:\n%s", survivor.Log())
	}
	after, err := survivor.AdminClient().Status(ctx)
	if err != nil || after.Zxid <= before.Zxid || len(after.Members) != 1 {
		t.Fatalf("survivor after the forced restart: %+v %v (before: zxid %#x)", after, err, before.Zxid)
	}

	// The lost ids join again on empty directories, as learners, then vote.
	for id := 2; id <= 3; id++ {
		servers[id] = refzk.StartOursMember(t, bin, ports[id-1], []refzk.MemberPorts{ports[0], ports[id-1]}, opts("--join"))
		lead := survivor.AdminClient()
		retry(t, fmt.Sprintf("add learner %d", id), func() error {
			_, err := lead.AddLearner(ctx, adminapi.AddLearnerRequest{ID: uint64(id), PeerAddr: fmt.Sprintf("127.0.0.1:%d", ports[id-1].Peer), ClientAddr: servers[id].Addr})
			var ae *adminapi.Error
			if errors.As(err, &ae) && ae.Code == "MemberExists" {
				return nil
			}
			return err
		})
		retry(t, fmt.Sprintf("promote %d", id), func() error {
			_, err := lead.Promote(ctx, uint64(id))
			var ae *adminapi.Error
			if errors.As(err, &ae) && ae.Code == "NotLearner" {
				return nil
			}
			return err
		})
	}
	last := dial(t, servers[3].Addr, 10*time.Second)
	retry(t, "write through member 3", func() error {
		_, _, err := last.Create(ctx, "/three", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		return err
	})
	retry(t, "sync on member 3", func() error { return last.Sync(ctx, "/") })
	children, _, err := last.Children(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range children {
		have["/"+c] = true
	}
	for _, p := range append(acked, "/after", "/three") {
		if !have[p] {
			t.Fatalf("%s missing on member 3 after the recovery", p)
		}
	}
	data, _, _, err := last.GetConfig(ctx)
	if err != nil || strings.Count(string(data), "participant") != 3 {
		t.Fatalf("/zookeeper/config at the end: %q %v", data, err)
	}
	t.Logf("%d acknowledged writes, all present after losing two of three members and forcing the survivor", len(acked))
}

// TestForceNewClusterFile: a pod reads the operator's request from a file
// every member mounts; only the member it names acts on it, and not on an
// empty volume (the request outlived its log); a garbled request stops the
// member with a clear error.
func TestForceNewClusterFile(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		noFile        bool
		err           string
	}{
		{name: "no file", noFile: true},
		{name: "empty", content: "\n"},
		{name: "another member", content: "uid/2/n1"},
		{name: "another ensemble", content: "other/1/n1"},
		{name: "this member, empty volume", content: "uid/1/n1"},
		{name: "garbled", content: "uid/1", err: "force-new-cluster refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "force-new-cluster")
			if !tc.noFile {
				if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			data := filepath.Join(dir, "data")
			err := forceNewCluster(data, "", memberFlags{ensembleID: "uid", forceNewClusterFile: file}, 1, quiet)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
			if _, err := os.Stat(filepath.Join(data, "version-2")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the data directory was touched: %v", err)
			}
		})
	}
}
