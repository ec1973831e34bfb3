package nemesis

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Fault is one misbehaviour of the network, a process or (later) a disk:
// Inject starts it, Heal ends it. A fault keeps what it needs to heal, so
// faults can overlap.
type Fault interface {
	// Kind names the fault for the run's figures ("partition-leader", ...).
	Kind() string
	Inject(c *Cluster) error
	Heal(c *Cluster) error
	// String describes this fault with its targets, for the run's log.
	String() string
}

// rule is an iptables rule in the NEMESIS chain of a member's namespace.
type rule struct {
	member int
	spec   []string
}

// rules adds its rules on Inject and deletes exactly those on Heal.
type rules struct {
	added []rule
}

func (r *rules) add(c *Cluster, member int, spec ...string) error {
	if err := c.Net.Iptables(member, append([]string{"-A", chain}, spec...)...); err != nil {
		return err
	}
	r.added = append(r.added, rule{member, spec})
	return nil
}

func (r *rules) heal(c *Cluster) error {
	var errs []error
	for _, ru := range r.added {
		errs = append(errs, c.Net.Iptables(ru.member, append([]string{"-D", chain}, ru.spec...)...))
	}
	r.added = nil
	return errors.Join(errs...)
}

// Partition cuts the links between members: each pair in Cut stops
// exchanging packets both ways (every member drops what the other sends).
// Members not named keep every link.
type Partition struct {
	Name string
	// Sides are the groups; with Bridge >= 0 that member keeps its links to
	// both sides while the sides lose theirs to each other.
	Sides [][]int
	// Leader, when set, makes the side it names ({0}) the current leader,
	// found at Inject time.
	Leader bool
	rules
	sides [][]int
}

func (p *Partition) Kind() string { return "partition-" + p.Name }

func (p *Partition) String() string {
	sides := p.sides
	if sides == nil {
		sides = p.Sides // not injected yet (the leader's side is found then)
	}
	return fmt.Sprintf("partition %s %v (members from 0)", p.Name, sides)
}

func (p *Partition) Inject(c *Cluster) error {
	p.sides = p.Sides
	if p.Leader {
		l := c.Leader()
		if l == nil {
			return errors.New("no leader to isolate")
		}
		rest := []int{}
		for _, m := range c.Members {
			if m != l {
				rest = append(rest, m.Index)
			}
		}
		p.sides = [][]int{{l.Index}, rest}
	}
	for a, side := range p.sides {
		for b, other := range p.sides {
			if a == b {
				continue
			}
			for _, i := range side {
				for _, j := range other {
					if err := p.add(c, i, "-s", c.Members[j].IP, "-j", "DROP"); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (p *Partition) Heal(c *Cluster) error { return p.heal(c) }

// Loss drops each packet a member receives with probability P (clients'
// and peers' alike) on the Members listed.
type Loss struct {
	Members []int
	P       float64
	rules
}

func (l *Loss) Kind() string   { return "loss" }
func (l *Loss) String() string { return fmt.Sprintf("loss %.0f%% on members %v", 100*l.P, l.Members) }

func (l *Loss) Inject(c *Cluster) error {
	for _, i := range l.Members {
		if err := l.add(c, i, "-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(l.P, 'f', 3, 64), "-j", "DROP"); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loss) Heal(c *Cluster) error { return l.heal(c) }

// ClientCut cuts one host address (a session probe's) off every member.
type ClientCut struct {
	HostIP string
	rules
}

func (cc *ClientCut) Kind() string   { return "client-cut" }
func (cc *ClientCut) String() string { return "client " + cc.HostIP + " cut off" }

func (cc *ClientCut) Inject(c *Cluster) error {
	for i := range c.Members {
		if err := cc.add(c, i, "-s", cc.HostIP, "-j", "DROP"); err != nil {
			return err
		}
	}
	return nil
}

func (cc *ClientCut) Heal(c *Cluster) error { return cc.heal(c) }

// Pause stops a member's process (SIGSTOP) until Heal (SIGCONT): to its
// peers and clients it hangs, sockets open, rather than dies.
type Pause struct {
	Member int // -1: the leader at Inject time
	target *Member
}

func (p *Pause) Kind() string {
	if p.Member < 0 {
		return "pause-leader"
	}
	return "pause-member"
}

func (p *Pause) String() string { return fmt.Sprintf("pause %s", describe(p.target, p.Member)) }

func (p *Pause) Inject(c *Cluster) error {
	m, err := pick(c, p.Member)
	if err != nil {
		return err
	}
	p.target = m
	return m.signal(syscall.SIGSTOP)
}

func (p *Pause) Heal(*Cluster) error { return p.target.signal(syscall.SIGCONT) }

// Kill kills a member (SIGKILL, no chance to flush anything) and starts it
// again from its data directory on Heal.
type Kill struct {
	Member int // -1: the leader at Inject time
	target *Member
}

func (k *Kill) Kind() string {
	if k.Member < 0 {
		return "kill-leader"
	}
	return "kill-member"
}

func (k *Kill) String() string { return fmt.Sprintf("kill -9 %s", describe(k.target, k.Member)) }

func (k *Kill) Inject(c *Cluster) error {
	m, err := pick(c, k.Member)
	if err != nil {
		return err
	}
	k.target = m
	m.Kill()
	return nil
}

func (k *Kill) Heal(*Cluster) error {
	k.target.StartAgain()
	return k.target.WaitAnswering(30 * time.Second)
}

func pick(c *Cluster, i int) (*Member, error) {
	if i >= 0 {
		return c.Members[i], nil
	}
	if l := c.Leader(); l != nil {
		return l, nil
	}
	return nil, errors.New("no leader")
}

func describe(m *Member, i int) string {
	switch {
	case m != nil:
		return fmt.Sprintf("member %d", m.Index+1)
	case i < 0:
		return "the leader"
	default:
		return fmt.Sprintf("member %d", i+1)
	}
}

// Took checks, before Heal, that the fault took effect: a partition's
// majority side has a leader of its own, a paused member is stopped, a
// killed one is gone. A fault that did nothing would make a run prove
// nothing.
func Took(c *Cluster, f Fault) error {
	switch f := f.(type) {
	case *Partition:
		return f.majorityLeads(c)
	case *Pause:
		if st := procState(f.target.Pid()); st != "T" && st != "t" {
			return fmt.Errorf("member %d is not stopped (state %q)", f.target.Index+1, st)
		}
	case *Delay:
		if f.delayed() == 0 {
			return errors.New("no packet was delayed")
		}
	case *Kill:
		if !f.target.Exited() {
			return fmt.Errorf("member %d still runs", f.target.Index+1)
		}
	}
	return nil
}

// majorityLeads: a side holding a majority must have elected its own leader
// (sides without a majority have none to check).
func (p *Partition) majorityLeads(c *Cluster) error {
	for _, side := range p.sides {
		if 2*len(side) <= len(c.Members) {
			continue
		}
		for _, i := range side {
			if mode, err := c.Members[i].mode(); err == nil && mode == "leader" {
				return nil
			}
		}
		return fmt.Errorf("the majority %v has no leader", side)
	}
	return nil
}

// procState is the state letter of /proc/pid/stat ("T" when stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return s
}
