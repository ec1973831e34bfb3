package nemesis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Delay holds every packet a member receives for Base plus up to Jitter
// before the kernel delivers it: an iptables NFQUEUE rule in the member's
// namespace hands the packets to a queue that this process reads (netlink,
// in that namespace) and gives each its verdict when its time is up.
// Packets whose times cross are delivered out of order (reordering). The
// kernel here has no netem; this is real delay on the real packets.
type Delay struct {
	Members      []int
	Base, Jitter time.Duration
	Seed         uint64
	rules
	queues []*delayQueue
}

func (d *Delay) Kind() string { return "delay" }
func (d *Delay) String() string {
	return fmt.Sprintf("delay %v + up to %v (reordering) on members %v", d.Base, d.Jitter, d.Members)
}

func (d *Delay) Inject(c *Cluster) error {
	for _, i := range d.Members {
		q, err := openQueue(c.Net.NS(i), d.Base, d.Jitter, d.Seed+uint64(i))
		if err != nil {
			return err
		}
		d.queues = append(d.queues, q)
		if err := d.add(c, i, "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"); err != nil {
			return err
		}
	}
	return nil
}

// Heal removes the rules first (no new packets queue), then lets the
// queued ones go after their delay and closes the queues.
func (d *Delay) Heal(c *Cluster) error {
	err := d.heal(c)
	for _, q := range d.queues {
		err = errors.Join(err, q.close(d.Base+d.Jitter))
	}
	d.queues = nil
	return err
}

// delayed is how many packets were held (for Took).
func (d *Delay) delayed() int64 {
	var n int64
	for _, q := range d.queues {
		n += q.n.Load()
	}
	return n
}

// nfqueue's netlink protocol (linux/netfilter/nfnetlink_queue.h).
const (
	nfnlSubsysQueue = 3
	nfqnlMsgPacket  = 0
	nfqnlMsgVerdict = 1
	nfqnlMsgConfig  = 2
	nfqaCfgCmd      = 1
	nfqaCfgParams   = 2
	nfqaPacketHdr   = 1
	nfqaVerdictHdr  = 2
	cmdBind         = 1
	copyMeta        = 1
	nfAccept        = 1
)

type delayQueue struct {
	conn    *netlink.Conn
	base    time.Duration
	jitter  time.Duration
	mu      sync.Mutex
	rnd     *rand.Rand
	pending sync.WaitGroup
	closing bool // under mu: close has started, no more packets are held
	n       atomic.Int64
	done    chan struct{}
}

// openQueue binds queue 0 in namespace ns and starts delaying its packets.
func openQueue(ns string, base, jitter time.Duration, seed uint64) (*delayQueue, error) {
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: int(f.Fd())})
	if err != nil {
		return nil, fmt.Errorf("nfqueue in %s: %w", ns, err)
	}
	_ = conn.SetOption(netlink.NoENOBUFS, true)
	_ = conn.SetReadBuffer(1 << 22)
	q := &delayQueue{conn: conn, base: base, jitter: jitter, rnd: rand.New(rand.NewPCG(seed, 1)), done: make(chan struct{})}
	cmd := []byte{cmdBind, 0, 0, unix.AF_INET}
	params := binary.BigEndian.AppendUint32(nil, 0xffff)
	params = append(params, copyMeta)
	for _, a := range []struct {
		typ  uint16
		data []byte
	}{{nfqaCfgCmd, cmd}, {nfqaCfgParams, params}} {
		if err := q.config(a.typ, a.data); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("nfqueue in %s: %w", ns, err)
		}
	}
	go q.read()
	return q, nil
}

func (q *delayQueue) config(typ uint16, data []byte) error {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(typ, data)
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = q.conn.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysQueue<<8 | nfqnlMsgConfig), Flags: netlink.Request | netlink.Acknowledge},
		Data:   append(nfgenmsg(), b...),
	})
	return err
}

// nfgenmsg is netfilter's header: AF_UNSPEC, version 0, queue 0.
func nfgenmsg() []byte { return []byte{unix.AF_UNSPEC, 0, 0, 0} }

// read holds each packet for its delay, then accepts it.
func (q *delayQueue) read() {
	defer close(q.done)
	for {
		msgs, err := q.conn.Receive()
		if err != nil {
			q.mu.Lock()
			closing := q.closing
			q.mu.Unlock()
			if closing {
				return
			}
			continue
		}
		for _, m := range msgs {
			if m.Header.Type != netlink.HeaderType(nfnlSubsysQueue<<8|nfqnlMsgPacket) || len(m.Data) < 4 {
				continue
			}
			id, ok := packetID(m.Data[4:])
			if !ok {
				continue
			}
			q.hold(id)
		}
	}
}

// hold accepts packet id after its delay (at once when closing).
func (q *delayQueue) hold(id uint32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		q.accept(id)
		return
	}
	d := q.base
	if q.jitter > 0 {
		d += time.Duration(q.rnd.Int64N(int64(q.jitter)))
	}
	q.n.Add(1)
	q.pending.Add(1)
	time.AfterFunc(d, func() { defer q.pending.Done(); q.accept(id) })
}

func packetID(attrs []byte) (uint32, bool) {
	ad, err := netlink.NewAttributeDecoder(attrs)
	if err != nil {
		return 0, false
	}
	for ad.Next() {
		if ad.Type() == nfqaPacketHdr {
			if b := ad.Bytes(); len(b) >= 4 {
				return binary.BigEndian.Uint32(b), true
			}
		}
	}
	return 0, false
}

func (q *delayQueue) accept(id uint32) {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(nfqaVerdictHdr, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, nfAccept), id))
	b, err := ae.Encode()
	if err != nil {
		return
	}
	_, _ = q.conn.Send(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysQueue<<8 | nfqnlMsgVerdict), Flags: netlink.Request},
		Data:   append(nfgenmsg(), b...),
	})
}

// close waits for the held packets' verdicts (at most hold) and closes the
// queue; packets still in it are accepted by the kernel (queue-bypass once
// nobody listens).
func (q *delayQueue) close(hold time.Duration) error {
	q.mu.Lock()
	q.closing = true
	q.mu.Unlock()
	waited := make(chan struct{})
	go func() { q.pending.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(hold + time.Second):
	}
	err := q.conn.Close()
	<-q.done
	return err
}
