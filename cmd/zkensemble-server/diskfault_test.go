package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/faultfs"
	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// TestDiskFaultFailStop: a 3-member ensemble whose member 3 keeps its data
// directory on a faulty view (internal/faultfs) while a go-zookeeper client
// (its session attached to member 3) and a zkclient write. Each fault kind
// makes member 3 stop on its own: it exits non-zero with a log line naming
// the file and the error, having acknowledged nothing it did not make
// durable. The two others keep serving; the sessions move to them and
// survive; every acknowledged write is there. After the disk is repaired
// member 3 starts again, rejoins and serves the same data.
func TestDiskFaultFailStop(t *testing.T) {
	if err := faultfs.Available(); err != nil {
		t.Skipf("needs root and /dev/fuse for the faulty data directory: %v", err)
	}
	bin := refzk.BuildOurs(t)
	tests := []struct {
		name  string
		fault faultfs.Fault
		// atStart: the fault is switched on while member 3 is stopped, and
		// meets it when it starts again.
		atStart bool
		// leads: member 3 is made the leader before the fault.
		leads bool
		// before is how many writes are acknowledged before the fault (30
		// when 0).
		before int
		// logged must all be in member 3's log when it stops (a WAL fault
		// may meet a WAL write of the Raft loop or of a snapshot's record).
		logged []string
	}{
		{name: "WAL fdatasync EIO", fault: faultfs.Fault{Op: faultfs.Fsync, Errno: syscall.EIO, Path: "version-2/wal/*.wal"},
			logged: []string{"stopping the member", ".wal", "input/output error"}},
		{name: "WAL write EIO", fault: faultfs.Fault{Op: faultfs.Write, Errno: syscall.EIO, Path: "version-2/wal/*"},
			logged: []string{"stopping the member", ".wal", "input/output error"}},
		{name: "disk full", fault: faultfs.Fault{Op: faultfs.Write, Errno: syscall.ENOSPC},
			logged: []string{"stopping the member", "no space left on device"}},
		{name: "leader's WAL fdatasync EIO", fault: faultfs.Fault{Op: faultfs.Fsync, Errno: syscall.EIO, Path: "version-2/wal/*.wal"},
			leads: true, logged: []string{"stopping the member", ".wal", "input/output error"}},
		{name: "leader's disk full", fault: faultfs.Fault{Op: faultfs.Write, Errno: syscall.ENOSPC},
			leads: true, logged: []string{"stopping the member", "no space left on device"}},
		{name: "snapshot ENOSPC", fault: faultfs.Fault{Op: faultfs.Write, Errno: syscall.ENOSPC, Path: "version-2/snap/*"},
			logged: []string{"stopping the member", ".snap", "no space left on device"}},
		{name: "WAL read EIO at start-up", fault: faultfs.Fault{Op: faultfs.Read, Errno: syscall.EIO, Path: "version-2/wal/*.wal"},
			atStart: true, logged: []string{"WAL", "input/output error"}},
		// After 100 writes member 3 has snapshots (snapCount 50); one it
		// cannot read must stop it, not be set aside for an older one.
		{name: "snapshot read EIO at start-up", fault: faultfs.Fault{Op: faultfs.Read, Errno: syscall.EIO, Path: "version-2/snap/*.snap"},
			atStart: true, before: 100, logged: []string{"reading the snapshot", ".snap", "input/output error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startFaultyEnsemble(t, bin)
			if tt.leads {
				d.makeLeader(t)
			}
			w := startDiskWriters(t, d)
			w.waitAcked(t, cmp.Or(tt.before, 30))
			if tt.atStart {
				d.faulty.Stop()
				d.view.Inject(tt.fault)
				d.faulty.StartAgain()
			} else {
				d.view.Inject(tt.fault)
			}
			d.waitFailStop(t, tt.logged)
			if d.view.Hits(tt.fault.Op) == 0 {
				t.Fatalf("member 3 stopped, but no %s fault was met", tt.fault.Op)
			}
			// The others go on: the writers' acknowledgements keep coming
			// (through members 1 and 2), and the go-zookeeper session moved.
			w.waitAcked(t, w.count()+30)
			if got := w.gz.Server(); got == d.faulty.Addr {
				t.Fatalf("the go-zookeeper session is still attached to the stopped member %s", got)
			}
			d.view.Heal()
			if broken, _ := filepath.Glob(filepath.Join(d.backing, "version-2", "snap", "*.broken")); len(broken) > 0 {
				t.Fatalf("member 3 set its snapshots aside on a failing read: %v", broken)
			}
			d.faulty.StartAgain()
			if err := d.faulty.WaitServing(60 * time.Second); err != nil {
				t.Fatalf("member 3 after the repair: %v\n%s", err, d.faulty.Log())
			}
			w.waitAcked(t, w.count()+10)
			acked := w.stop(t)
			for _, s := range d.servers {
				d.checkHolds(t, s, acked)
			}
		})
	}
}

// faultyEnsemble is three members on loopback, member 3 on a faulty view.
type faultyEnsemble struct {
	servers []*refzk.Server
	faulty  *refzk.Server
	view    *faultfs.View
	backing string // the view's backing directory
}

func startFaultyEnsemble(t *testing.T, bin string) *faultyEnsemble {
	t.Helper()
	backing, mnt := t.TempDir(), t.TempDir()
	view, err := faultfs.Mount(backing, mnt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := view.Unmount(); err != nil {
			t.Error(err)
		}
	})
	ports := []refzk.MemberPorts{refzk.AllocMember(t, 1), refzk.AllocMember(t, 2), refzk.AllocMember(t, 3)}
	o := refzk.Options{TickTime: 500, PKI: refzk.NewPKI(t)}
	d := &faultyEnsemble{view: view, backing: backing}
	for _, p := range ports {
		mo := o
		if p.ID == 3 {
			// A snapshot every 50 transactions, so the snapshot path is
			// written while the test runs.
			mo.Args = []string{"--dataDir", mnt, "--myid", "3"}
			mo.Extra = map[string]string{"snapCount": "50"}
		}
		d.servers = append(d.servers, refzk.StartOursMember(t, bin, p, ports, mo))
	}
	d.faulty = d.servers[2]
	for _, s := range d.servers {
		if err := s.WaitServing(60 * time.Second); err != nil {
			t.Fatalf("member %s did not start: %v\n%s", s.Addr, err, s.Log())
		}
	}
	if _, err := os.Stat(filepath.Join(backing, "version-2", "wal")); err != nil {
		t.Fatalf("member 3 does not keep its WAL on the view: %v", err)
	}
	return d
}

// waitFailStop waits until member 3 has exited on its own with a non-zero
// status and a log naming what failed.
func (d *faultyEnsemble) waitFailStop(t *testing.T, logged []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !d.faulty.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("member 3 still runs on a failing disk:\n%s", d.faulty.Log())
		}
		time.Sleep(50 * time.Millisecond) // polling the process's state
	}
	log := d.faulty.Log()
	if code := d.faulty.ExitCode(); code <= 0 {
		t.Fatalf("member 3 exited with status %d, want a failure status:\n%s", code, log)
	}
	for _, s := range logged {
		if !strings.Contains(log, s) {
			t.Fatalf("member 3's log does not say %q:\n%s", s, log)
		}
	}
	if strings.Contains(log, "goroutine ") {
		t.Fatalf("member 3 panicked instead of stopping cleanly:\n%s", log)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	t.Logf("member 3 stopped with status %d; its last log line: %s", d.faulty.ExitCode(), lines[len(lines)-1])
}

// checkHolds reads every acknowledged znode back through s after a sync, and
// checks s lists the same children of /d as member 1.
func (d *faultyEnsemble) checkHolds(t *testing.T, s *refzk.Server, acked []string) {
	t.Helper()
	ctx := context.Background()
	c := dial(t, s.Addr, 10*time.Second)
	ref := dial(t, d.servers[0].Addr, 10*time.Second)
	var have, want []string
	retry(t, "reading /d through "+s.Addr, func() error {
		if err := c.Sync(ctx, "/d"); err != nil {
			return err
		}
		var err error
		if have, _, err = c.Children(ctx, "/d"); err != nil {
			return err
		}
		want, _, err = ref.Children(ctx, "/d")
		return err
	})
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Fatalf("%s lists %d children of /d, member 1 %d", s.Addr, len(have), len(want))
	}
	for _, p := range acked {
		if _, found := slices.BinarySearch(have, strings.TrimPrefix(p, "/d/")); !found {
			t.Fatalf("acknowledged %s is missing on %s", p, s.Addr)
		}
	}
}

// sessionFirstOn is the member list with s first.
func (d *faultyEnsemble) sessionFirstOn(s *refzk.Server) []string {
	out := []string{s.Addr}
	for _, o := range d.servers {
		if o != s {
			out = append(out, o.Addr)
		}
	}
	return out
}

// makeLeader hands leadership to member 3.
func (d *faultyEnsemble) makeLeader(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	retry(t, "member 3 takes the lead", func() error {
		for _, s := range d.servers {
			st, err := s.AdminClient().Status(ctx)
			if err != nil || st.Role != adminapi.RoleLeader {
				continue
			}
			if s == d.faulty {
				return nil
			}
			_, err = s.AdminClient().TransferLeadership(ctx, 3)
			return fmt.Errorf("asked member %d to hand over: %w", st.ID, err)
		}
		return errors.New("no leader")
	})
}
