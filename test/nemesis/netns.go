package nemesis

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// nsPrefix starts the name of every namespace and host interface a run
// creates; the creating process's pid follows, so a later run can tell a
// leftover of a killed run (its pid gone) from a run still going.
const nsPrefix = "zkn"

// chain is the iptables chain, in each member's namespace, that holds the
// faults' rules (INPUT jumps to it): healing deletes rules from it, and the
// host's own chains are never touched.
const chain = "NEMESIS"

var runSeq atomic.Int32

// Network is a hub namespace with a bridge, one namespace per member joined
// to the bridge by a veth pair, and a veth from the host namespace (where
// the test's clients run) to the bridge. All addresses are in 10.213.X.0/24:
// .1 is the host's main address, .2-.9 are extra host addresses that session
// probes bind to (a fault can cut one client), .11+ are the members.
type Network struct {
	name    string // zkn-<pid>-<seq>
	hostIf  string
	subnet  int
	members int
}

// NewNetwork creates the namespaces for n members; t.Cleanup removes them.
func NewNetwork(t testing.TB, n int) *Network {
	t.Helper()
	removeLeftovers(t)
	seq := runSeq.Add(1)
	pid := os.Getpid()
	nw := &Network{
		name:    fmt.Sprintf("%s-%d-%d", nsPrefix, pid, seq),
		hostIf:  fmt.Sprintf("%s%dh%d", nsPrefix, pid, seq),
		members: n,
	}
	nw.subnet = freeSubnet(t, pid+int(seq))
	t.Cleanup(nw.remove)
	hub := nw.hub()
	steps := [][]string{
		{"ip", "netns", "add", hub},
		{"ip", "-n", hub, "link", "set", "lo", "up"},
		{"ip", "-n", hub, "link", "add", "br0", "type", "bridge"},
		{"ip", "-n", hub, "link", "set", "br0", "up"},
		{"ip", "link", "add", nw.hostIf, "type", "veth", "peer", "name", "host", "netns", hub},
		{"ip", "-n", hub, "link", "set", "host", "master", "br0", "up"},
		{"ip", "addr", "add", nw.HostIP(0) + "/24", "dev", nw.hostIf},
	}
	for i := 1; i < hostAddrs; i++ {
		steps = append(steps, []string{"ip", "addr", "add", nw.HostIP(i) + "/32", "dev", nw.hostIf})
	}
	steps = append(steps, []string{"ip", "link", "set", nw.hostIf, "up"})
	for i := 0; i < n; i++ {
		ns, peer := nw.NS(i), fmt.Sprintf("m%d", i+1)
		steps = append(steps,
			[]string{"ip", "netns", "add", ns},
			[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
			[]string{"ip", "-n", hub, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"ip", "-n", hub, "link", "set", peer, "master", "br0", "up"},
			[]string{"ip", "-n", ns, "addr", "add", nw.MemberIP(i) + "/24", "dev", "eth0"},
			[]string{"ip", "-n", ns, "link", "set", "eth0", "up"},
			[]string{"ip", "netns", "exec", ns, "iptables", "-N", chain},
			[]string{"ip", "netns", "exec", ns, "iptables", "-I", "INPUT", "-j", chain},
		)
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			t.Fatalf("network setup: %v", err)
		}
	}
	return nw
}

// hostAddrs is how many addresses the host has on the bridge.
const hostAddrs = 9

func (nw *Network) hub() string { return nw.name + "-hub" }

// NS is member i's namespace (i from 0).
func (nw *Network) NS(i int) string { return fmt.Sprintf("%s-m%d", nw.name, i+1) }

// MemberIP is member i's address.
func (nw *Network) MemberIP(i int) string { return fmt.Sprintf("10.213.%d.%d", nw.subnet, 11+i) }

// HostIP is the host's address k (0 is the main one).
func (nw *Network) HostIP(k int) string { return fmt.Sprintf("10.213.%d.%d", nw.subnet, 1+k) }

// Iptables runs iptables with args in member i's namespace.
func (nw *Network) Iptables(i int, args ...string) error {
	return run(append([]string{"ip", "netns", "exec", nw.NS(i), "iptables"}, args...)...)
}

// Rules lists the fault rules in member i's namespace (for the run's log).
func (nw *Network) Rules(i int) string {
	out, _ := exec.Command("ip", "netns", "exec", nw.NS(i), "iptables", "-S", chain).CombinedOutput()
	return string(out)
}

// remove deletes the namespaces (their interfaces go with them, the host's
// veth with its peer).
func (nw *Network) remove() {
	for i := 0; i < nw.members; i++ {
		_ = run("ip", "netns", "delete", nw.NS(i))
	}
	_ = run("ip", "netns", "delete", nw.hub())
	_ = run("ip", "link", "delete", nw.hostIf) // already gone with its peer, normally
}

// removeLeftovers deletes namespaces of runs whose process is gone (a run
// killed before its cleanup).
func removeLeftovers(t testing.TB) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], nsPrefix+"-") {
			continue
		}
		name := fields[0]
		parts := strings.Split(name, "-")
		pid, err := strconv.Atoi(parts[1])
		if err != nil || processAlive(pid) {
			continue
		}
		t.Logf("removing namespace %s left by a killed run", name)
		_ = run("ip", "netns", "delete", name)
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// freeSubnet picks X for 10.213.X.0/24 that no interface of the host uses.
func freeSubnet(t testing.TB, start int) int {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("%v", err)
	}
	used := map[int]bool{}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 213 {
				used[int(ip4[2])] = true
			}
		}
	}
	for i := 0; i < 250; i++ {
		x := 1 + (start+i)%250
		if !used[x] {
			return x
		}
	}
	t.Fatalf("no free 10.213.X.0/24")
	return 0
}

func run(argv ...string) error {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
