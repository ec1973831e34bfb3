package clients

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// TestRealClientsReattachOnAnotherMember: each real client holds a session
// with an ephemeral node on a 3-member ensemble; the member it is attached to
// is killed; the client must reattach to its session on another member (which
// checks the password the first member gave it) and the ephemeral stays.
// go-zookeeper is covered by cmd/zkensemble-server's TestSessionSurvivesLossOfItsMember.
func TestRealClientsReattachOnAnotherMember(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 2000})
	hosts := ens.ConnectString()
	clients := []struct {
		name, need string
		argv       func(path string) []string
		create     func(path string) string // stdin that creates the ephemeral
		quit       string
	}{
		{"kazoo", "/usr/lib/python3/dist-packages/kazoo",
			func(p string) []string { return []string{"/usr/bin/python3", "kazoo_reattach.py", hosts, p} },
			func(string) string { return "" }, ""},
		{"zkCli.sh", refzk.ZkCli,
			func(string) []string { return []string{refzk.ZkCli, "-server", hosts} },
			func(p string) string { return "create -e " + p + " z\n" }, "quit\n"},
		{"C client", "/usr/lib/zookeeper/bin/cli_mt",
			func(string) []string { return []string{"/usr/lib/zookeeper/bin/cli_mt", "-h", hosts} },
			func(p string) string { return "create +e " + p + "\n" }, "quit\n"},
	}
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			if _, err := os.Stat(cl.need); err != nil {
				t.Fatalf("%s is not installed (run hack/install-deps.sh): %v", cl.need, err)
			}
			path := "/reattach-" + strings.ReplaceAll(cl.name, " ", "-")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			argv := cl.argv(path)
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			io.WriteString(stdin, cl.create(path))
			sid := ephemeralOwner(t, hosts, path)
			holder := memberOf(t, ens, sid, nil)
			t.Logf("%s: session 0x%x on %s; killing that member", cl.name, sid, holder.Addr)
			holder.Kill()
			t.Cleanup(func() { restart(t, holder) })
			other := memberOf(t, ens, sid, holder)
			t.Logf("%s: session 0x%x reattached on %s", cl.name, sid, other.Addr)
			if owner := ephemeralOwner(t, other.Addr, path); owner != sid {
				t.Fatalf("the ephemeral is owned by 0x%x, want 0x%x", owner, sid)
			}
			io.WriteString(stdin, cl.quit)
			stdin.Close()
			if err := cmd.Wait(); err != nil && cl.quit == "" {
				t.Fatalf("%v\n%s", err, out.String())
			}
			restart(t, holder)
		})
	}
}

// ephemeralOwner waits until path exists and returns its ephemeral owner.
func ephemeralOwner(t *testing.T, hosts, path string) int64 {
	t.Helper()
	c, err := zkclient.Connect(hosts, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := c.Exists(ctx, path)
		cancel()
		if err == nil && st != nil && st.EphemeralOwner != 0 {
			return st.EphemeralOwner
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared as an ephemeral: %v", path, err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
}

// memberOf waits until a member other than skip has a connection of session
// sid (cons lists it) and returns that member.
func memberOf(t *testing.T, ens *refzk.Ensemble, sid int64, skip *refzk.Server) *refzk.Server {
	t.Helper()
	needle := fmt.Sprintf("sid=0x%x,", sid)
	deadline := time.Now().Add(45 * time.Second)
	for {
		for _, s := range ens.Servers {
			if s == skip {
				continue
			}
			if cons, err := refzk.FourLetter(s.Addr, "cons"); err == nil && strings.Contains(cons, needle) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no member has a connection of session 0x%x", sid)
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
}

// restart brings a killed member back (once) so the next client finds three.
func restart(t *testing.T, s *refzk.Server) {
	t.Helper()
	if !s.Exited() {
		return
	}
	s.StartAgain()
	if err := s.WaitServing(60 * time.Second); err != nil {
		t.Fatalf("member %s did not come back: %v\n%s", s.Addr, err, s.Log())
	}
}
