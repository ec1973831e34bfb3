package nemesis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// Fixed ports: every member has its own address.
const (
	clientPort = 2181
	peerPort   = 2888
	electPort  = 3888
	adminPort  = 8080
)

// Member is one server process in its namespace.
type Member struct {
	Index int // from 0; the member's id is Index+1
	NS    string
	IP    string
	// DataDir is the member's data directory (a disk fault would mount its
	// layer here before the member starts).
	DataDir string
	*refzk.Server
}

// Cluster is an ensemble of our members in namespaces.
type Cluster struct {
	Net     *Network
	Members []*Member
}

// StartCluster builds the server, creates the network and starts n members
// with member mutual TLS (refzk.PKI, certificates naming the members'
// addresses), and waits until all serve. o.DataDir, when set, gives each
// member's data directory (a disk-fault layer mounted there beforehand).
func StartCluster(t testing.TB, n int, o refzk.Options) *Cluster {
	t.Helper()
	bin := refzk.BuildOurs(t)
	nw := NewNetwork(t, n)
	c := &Cluster{Net: nw}
	ports := make([]refzk.MemberPorts, n)
	for i := range ports {
		ports[i] = refzk.MemberPorts{ID: i + 1, Client: clientPort, Peer: peerPort, Election: electPort, Admin: adminPort, Host: nw.MemberIP(i)}
	}
	o.PKI = refzk.NewPKI(t)
	o.PKI.IPs = func(id int) []net.IP { return []net.IP{net.ParseIP(nw.MemberIP(id - 1))} }
	for i := range ports {
		mo := o
		mo.Prefix = []string{"ip", "netns", "exec", nw.NS(i)}
		s := refzk.StartOursMember(t, bin, ports[i], ports, mo)
		c.Members = append(c.Members, &Member{Index: i, NS: nw.NS(i), IP: nw.MemberIP(i), DataDir: s.DataDir, Server: s})
	}
	if err := c.WaitHealthy(60 * time.Second); err != nil {
		t.Fatalf("the ensemble did not form: %v", err)
	}
	return c
}

// ConnectString lists every member's client address.
func (c *Cluster) ConnectString() string {
	addrs := make([]string, len(c.Members))
	for i, m := range c.Members {
		addrs[i] = m.Addr
	}
	return strings.Join(addrs, ",")
}

// Addrs lists every member's client address.
func (c *Cluster) Addrs() []string { return strings.Split(c.ConnectString(), ",") }

// mode is what member m's srvr says ("leader", "follower", or an error).
func (m *Member) mode() (string, error) {
	out, err := refzk.FourLetter(m.Addr, "srvr")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("not serving: %q", strings.TrimSpace(out))
}

// Leader is the member that says it leads, or nil.
func (c *Cluster) Leader() *Member {
	for _, m := range c.Members {
		if mode, err := m.mode(); err == nil && mode == "leader" {
			return m
		}
	}
	return nil
}

// WaitHealthy waits until every member serves and exactly one leads.
func (c *Cluster) WaitHealthy(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := c.healthy()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond) // polling interval while the ensemble recovers
	}
}

func (c *Cluster) healthy() error {
	leaders := 0
	for _, m := range c.Members {
		mode, err := m.mode()
		if err != nil {
			return fmt.Errorf("member %d: %w", m.Index+1, err)
		}
		if mode == "leader" {
			leaders++
		}
	}
	if leaders != 1 {
		return fmt.Errorf("%d members say they lead", leaders)
	}
	return nil
}

// signal sends sig to member m's process group.
func (m *Member) signal(sig syscall.Signal) error {
	pid := m.Pid()
	if pid == 0 {
		return errors.New("not running")
	}
	return syscall.Kill(-pid, sig)
}

// dialFrom returns a dialer bound to the host address src.
func dialFrom(src string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 3 * time.Second}
	return d.DialContext
}
