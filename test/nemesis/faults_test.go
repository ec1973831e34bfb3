package nemesis

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNetworkFaults checks each network fault on the wire, without a
// server: a TCP connect from the host to a member's address where nothing
// listens is refused at once (the member's kernel answers RST); cut off, it
// times out; delayed, the refusal comes after the delay. After Heal the
// connect is refused at once again.
func TestNetworkFaults(t *testing.T) {
	requireRoot(t)
	nw := NewNetwork(t, 2)
	c := &Cluster{Net: nw, Members: []*Member{{Index: 0, NS: nw.NS(0), IP: nw.MemberIP(0)}, {Index: 1, NS: nw.NS(1), IP: nw.MemberIP(1)}}}
	target := net.JoinHostPort(nw.MemberIP(0), "9")
	probe := func() (time.Duration, error) {
		start := time.Now()
		conn, err := dialFrom(nw.HostIP(0))(context.Background(), "tcp", target)
		if err == nil {
			conn.Close()
		}
		return time.Since(start), err
	}
	refusedWithin := func(lo, hi time.Duration) error {
		d, err := probe()
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return err
		}
		if d < lo || d > hi {
			return errors.New("refused after " + d.String())
		}
		return nil
	}
	if err := refusedWithin(0, time.Second); err != nil {
		t.Fatalf("before any fault: %v", err)
	}
	if out := memberToMember(nw); !strings.Contains(out, "refused") {
		t.Fatalf("before any fault, member 2 does not reach member 1: %s", out)
	}
	for _, tc := range []struct {
		name  string
		fault Fault
		check func() error // while injected
	}{
		{"client cut", &ClientCut{HostIP: nw.HostIP(0)}, cutOff(probe)},
		{"loss of every packet", &Loss{Members: []int{0}, P: 1}, cutOff(probe)},
		{"partition between members", &Partition{Name: "minority", Sides: [][]int{{0}, {1}}}, func() error {
			if err := refusedWithin(0, time.Second); err != nil {
				return errors.New("the host was cut off too: " + err.Error())
			}
			if out := memberToMember(nw); strings.Contains(out, "refused") {
				return errors.New("member 2 still reaches member 1: " + out)
			}
			return nil
		}},
		{"delay", &Delay{Members: []int{0}, Base: 300 * time.Millisecond}, func() error { return refusedWithin(300*time.Millisecond, 2*time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.fault.Inject(c); err != nil {
				t.Fatal(err)
			}
			checkErr := tc.check()
			if err := tc.fault.Heal(c); err != nil {
				t.Fatal(err)
			}
			if checkErr != nil {
				t.Fatalf("while injected: %v", checkErr)
			}
			if err := refusedWithin(0, time.Second); err != nil {
				t.Fatalf("after heal: %v; rules left: %s", err, nw.Rules(0))
			}
		})
	}
}

// cutOff expects the connect to time out (the dialer's 3 s).
func cutOff(probe func() (time.Duration, error)) func() error {
	return func() error {
		if _, err := probe(); !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			return errors.New("the connect was not cut off: " + errString(err))
		}
		return nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func errString(err error) string {
	if err == nil {
		return "connected"
	}
	return err.Error()
}

// memberToMember connects from member 2's namespace to member 1 (bash's
// /dev/tcp, 2 s at most) and returns what bash said ("Connection refused"
// when member 1's kernel answered).
func memberToMember(nw *Network) string {
	out, _ := exec.Command("ip", "netns", "exec", nw.NS(1), "timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/"+nw.MemberIP(0)+"/9").CombinedOutput()
	return string(out)
}
