package ensemble

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// maxMessage bounds one Raft message on the wire (snapshots travel whole).
const maxMessage = 1 << 30

// Transport carries Raft messages between members over TCP: one outgoing
// stream per peer, fed by a queue and written in batches (one flush for
// everything queued), reconnecting on failure; incoming streams are handed
// to the node. Each stream opens with a hello naming the ensemble and both
// members, which the receiver checks. SetDrop lets tests cut links.
//
// Wire format, dialer to acceptor: the hello ("ZKE1", ensemble id length
// uint16 and bytes, from uint64, to uint64), then frames (length uint32,
// kind byte, body). Acceptor to dialer: verdicts (code byte, reason length
// uint16 and bytes): one answering the hello, and a refusal that ends the
// stream should the dialer be removed from the configuration later.
type Transport struct {
	id       uint64
	ensemble string
	log      *slog.Logger
	ln       net.Listener
	recv     func(ctx context.Context, m pb.Message) error
	report   func(to uint64, m pb.Message, err error)
	// admit says whether a peer may talk to this member (nil: anyone).
	admit func(from uint64) error
	// resolve gives the address of a member Raft writes to before this
	// member has learned it from the log (nil: such messages are dropped).
	resolve func(id uint64) string
	// rejected learns why a peer refused this member.
	rejected func(peer uint64, code byte, reason string)
	// handlers receive non-Raft frames by kind (session touches, reconfig).
	hmu      sync.Mutex
	handlers map[byte]func(payload []byte)

	mu    sync.Mutex
	peers map[uint64]*peer
	drop  func(from, to uint64) bool
	done  chan struct{}
	wg    sync.WaitGroup
}

type peer struct {
	id   uint64
	addr string
	q    chan envelope
	stop chan struct{}
	// reset carries the address the peer last connected to us from: when
	// it differs from where our stream goes, the peer restarted elsewhere (a
	// pod gets a new IP) and our stream leads nowhere, so the writer drops it
	// and dials again instead of waiting for TCP to give up.
	reset chan string
}

// Frame kinds on a member-to-member stream.
const (
	kindRaft          byte = 0
	kindTouches       byte = 1
	kindReconfig      byte = 2
	kindReconfigReply byte = 3
)

// Verdicts of the acceptor.
const (
	acceptOK          byte = 0
	rejectForeign     byte = 1 // another ensemble
	rejectWrongMember byte = 2 // the address belongs to another member id
	rejectRemoved     byte = 3 // the dialer was removed from the configuration
)

var (
	helloMagic     = [4]byte{'Z', 'K', 'E', '1'}
	errPeerRemoved = errors.New("removed from the configuration")
)

// Handle registers the receiver of non-Raft frames of a kind.
func (t *Transport) Handle(kind byte, h func(payload []byte)) {
	t.hmu.Lock()
	if t.handlers == nil {
		t.handlers = map[byte]func([]byte){}
	}
	t.handlers[kind] = h
	t.hmu.Unlock()
}

// envelope is a queued frame: a Raft message, or raw bytes of another kind.
type envelope struct {
	kind byte
	m    pb.Message
	raw  []byte
}

func newTransport(id uint64, ensemble, listen string, log *slog.Logger) (*Transport, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	return &Transport{id: id, ensemble: ensemble, log: log, ln: ln, peers: map[uint64]*peer{}, done: make(chan struct{})}, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() string { return t.ln.Addr().String() }

// SetDrop installs a fault injector: frames for which it returns true are
// dropped, in either direction (tests partition members with it).
func (t *Transport) SetDrop(f func(from, to uint64) bool) {
	t.mu.Lock()
	t.drop = f
	t.mu.Unlock()
}

func (t *Transport) dropped(from, to uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.drop != nil && t.drop(from, to)
}

func (t *Transport) start() {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := t.ln.Accept()
			if err != nil {
				return
			}
			t.wg.Add(1)
			go func() { defer t.wg.Done(); t.serveConn(c) }()
		}
	}()
}

// writeVerdict answers a dialer.
func writeVerdict(w io.Writer, code byte, reason string) error {
	if len(reason) > 1<<15 {
		reason = reason[:1<<15]
	}
	b := make([]byte, 0, 3+len(reason))
	b = append(b, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(reason)))
	b = append(b, reason...)
	_, err := w.Write(b)
	return err
}

func readVerdict(r io.Reader) (byte, string, error) {
	var h [3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, "", err
	}
	reason := make([]byte, binary.BigEndian.Uint16(h[1:]))
	if _, err := io.ReadFull(r, reason); err != nil {
		return 0, "", err
	}
	return h[0], string(reason), nil
}

func (t *Transport) hello(to uint64) []byte {
	b := append([]byte{}, helloMagic[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.ensemble)))
	b = append(b, t.ensemble...)
	b = binary.BigEndian.AppendUint64(b, t.id)
	return binary.BigEndian.AppendUint64(b, to)
}

// readHello checks a dialer's introduction; it returns the dialer's id, or
// a verdict to send back and close.
func (t *Transport) readHello(br *bufio.Reader) (from uint64, code byte, reason string, err error) {
	var h [6]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, 0, "", err
	}
	if [4]byte(h[:4]) != helloMagic {
		return 0, 0, "", errors.New("not a zkensemble member stream")
	}
	ens := make([]byte, binary.BigEndian.Uint16(h[4:]))
	var ids [16]byte
	if _, err := io.ReadFull(br, ens); err != nil {
		return 0, 0, "", err
	}
	if _, err := io.ReadFull(br, ids[:]); err != nil {
		return 0, 0, "", err
	}
	from, to := binary.BigEndian.Uint64(ids[:8]), binary.BigEndian.Uint64(ids[8:])
	switch {
	case t.ensemble != "" && len(ens) > 0 && string(ens) != t.ensemble:
		return from, rejectForeign, fmt.Sprintf("member %d at %s belongs to ensemble %q, not %q", t.id, t.Addr(), t.ensemble, ens), nil
	case to != t.id:
		return from, rejectWrongMember, fmt.Sprintf("%s is member %d, not %d", t.Addr(), t.id, to), nil
	}
	if t.admit != nil {
		if err := t.admit(from); err != nil {
			return from, rejectRemoved, err.Error(), nil
		}
	}
	return from, acceptOK, "", nil
}

func (t *Transport) serveConn(c net.Conn) {
	defer c.Close()
	connDone := make(chan struct{})
	defer close(connDone)
	go func() {
		select {
		case <-t.done:
			c.Close()
		case <-connDone:
		}
	}()
	br := bufio.NewReaderSize(c, 256<<10)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	from, code, reason, err := t.readHello(br)
	if err != nil {
		t.log.Debug("ensemble: bad hello from a peer", "remote", c.RemoteAddr(), "err", err)
		return
	}
	if err := writeVerdict(c, code, reason); err != nil || code != acceptOK {
		if code != acceptOK {
			t.log.Warn("ensemble: refused a peer", "peer", from, "remote", c.RemoteAddr(), "reason", reason)
		}
		return
	}
	_ = c.SetDeadline(time.Time{})
	t.peerReconnected(from, hostOf(c.RemoteAddr().String()))
	var hdr [4]byte
	buf := make([]byte, 0, 64<<10)
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxMessage {
			t.log.Warn("ensemble: bad frame length from a peer", "peer", from, "bytes", n)
			return
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return
		}
		if t.dropped(from, t.id) {
			continue
		}
		if t.admit != nil {
			// A member removed while it was connected learns it here.
			if err := t.admit(from); err != nil {
				_ = writeVerdict(c, rejectRemoved, err.Error())
				return
			}
		}
		kind, body := buf[0], buf[1:]
		if kind != kindRaft {
			t.hmu.Lock()
			h := t.handlers[kind]
			t.hmu.Unlock()
			if h != nil {
				h(append([]byte(nil), body...))
			}
			continue
		}
		var m pb.Message
		if err := m.Unmarshal(body); err != nil {
			t.log.Warn("ensemble: undecodable message from a peer", "peer", from, "err", err)
			return
		}
		if err := t.step(m); err != nil {
			t.log.Debug("ensemble: step", "from", from, "type", m.Type, "err", err)
		}
	}
}

// proposalWait bounds how long a forwarded proposal may wait for this member
// to know a leader. Raft takes a proposal only while a leader is known and
// would otherwise block the whole stream, appends and votes behind it, until
// one is; a dropped proposal fails the client's request, which it retries.
const proposalWait = 100 * time.Millisecond

func (t *Transport) step(m pb.Message) error {
	if m.Type != pb.MsgProp {
		return t.recv(context.Background(), m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), proposalWait)
	defer cancel()
	return t.recv(ctx, m)
}

// AddPeer starts a stream to a member.
func (t *Transport) AddPeer(id uint64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id == t.id {
		return
	}
	if p, ok := t.peers[id]; ok {
		if p.addr == addr {
			return
		}
		close(p.stop)
	}
	p := &peer{id: id, addr: addr, q: make(chan envelope, 4096), stop: make(chan struct{}), reset: make(chan string, 1)}
	t.peers[id] = p
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.runPeer(p) }()
}

// RemovePeer stops the stream to a member.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		close(p.stop)
		delete(t.peers, id)
	}
}

// Send queues messages; a full queue drops them (Raft retransmits) and
// reports the peer unreachable.
func (t *Transport) Send(msgs []pb.Message) {
	for _, m := range msgs {
		if m.To == 0 || t.dropped(m.From, m.To) {
			continue
		}
		t.mu.Lock()
		p := t.peers[m.To]
		t.mu.Unlock()
		if p == nil && t.resolve != nil {
			if addr := t.resolve(m.To); addr != "" {
				t.AddPeer(m.To, addr)
				t.mu.Lock()
				p = t.peers[m.To]
				t.mu.Unlock()
			}
		}
		if p == nil {
			continue
		}
		select {
		case p.q <- envelope{kind: kindRaft, m: m}:
		default:
			t.report(m.To, m, errors.New("send queue full"))
		}
	}
}

// SendRaw queues a non-Raft frame (session touches, reconfig) for a member;
// it is dropped when the queue is full or the link is cut.
func (t *Transport) SendRaw(to uint64, kind byte, payload []byte) {
	if t.dropped(t.id, to) {
		return
	}
	t.mu.Lock()
	p := t.peers[to]
	t.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.q <- envelope{kind: kind, raw: payload}:
	default:
	}
}

// dial opens a stream to a peer and introduces this member.
func (t *Transport) dial(p *peer) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.Dial("tcp", p.addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(t.hello(p.id)); err != nil {
		c.Close()
		return nil, err
	}
	code, reason, err := readVerdict(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	if code != acceptOK {
		c.Close()
		if t.rejected != nil {
			t.rejected(p.id, code, reason)
		}
		return nil, fmt.Errorf("refused by member %d: %s", p.id, reason)
	}
	_ = c.SetDeadline(time.Time{})
	// A later verdict is a refusal (this member was removed meanwhile).
	go func() {
		code, reason, err := readVerdict(c)
		if err == nil && code != acceptOK && t.rejected != nil {
			t.rejected(p.id, code, reason)
		}
		c.Close()
	}()
	return c, nil
}

func (t *Transport) runPeer(p *peer) {
	var c net.Conn
	var bw *bufio.Writer
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	buf := make([]byte, 0, 64<<10)
	var backoff time.Duration
	for {
		var env envelope
		select {
		case <-p.stop:
			return
		case <-t.done:
			return
		case from := <-p.reset:
			if c != nil && hostOf(c.RemoteAddr().String()) != from {
				c.Close()
				c = nil
			}
			continue
		case env = <-p.q:
		}
		m := env.m
		if c == nil {
			var err error
			if c, err = t.dial(p); err != nil {
				c = nil
				t.report(p.id, m, err)
				// Messages for an unreachable peer are dropped (Raft resends);
				// wait a little before dialing again.
				backoff = min(max(2*backoff, 10*time.Millisecond), 500*time.Millisecond)
				select {
				case <-time.After(backoff):
				case <-p.stop:
					return
				case <-t.done:
					return
				}
				continue
			}
			backoff = 0
			bw = bufio.NewWriterSize(c, 256<<10)
		}
		// Write this frame and whatever else is queued, then flush once; a
		// peer that stops reading (gone without a reset) fails the deadline.
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		err := t.write(bw, env, &buf)
		for more := true; err == nil && more; {
			select {
			case e2 := <-p.q:
				err = t.write(bw, e2, &buf)
				if e2.kind == kindRaft {
					m = e2.m
				}
			default:
				more = false
			}
		}
		if err == nil {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			err = bw.Flush()
		}
		if err != nil {
			c.Close()
			c = nil
			t.report(p.id, m, err)
			continue
		}
		if m.Type == pb.MsgSnap {
			t.report(p.id, m, nil)
		}
	}
}

// peerReconnected tells the writer to member id where the peer now is.
func (t *Transport) peerReconnected(id uint64, host string) {
	t.mu.Lock()
	p := t.peers[id]
	t.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.reset <- host:
	default:
	}
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func (t *Transport) write(bw *bufio.Writer, env envelope, buf *[]byte) error {
	if env.kind != kindRaft {
		var hdr [5]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(len(env.raw)+1))
		hdr[4] = env.kind
		if _, err := bw.Write(hdr[:]); err != nil {
			return err
		}
		_, err := bw.Write(env.raw)
		return err
	}
	n := env.m.Size()
	if cap(*buf) < n+5 {
		*buf = make([]byte, n+5)
	}
	b := (*buf)[:n+5]
	binary.BigEndian.PutUint32(b, uint32(n+1))
	b[4] = kindRaft
	if _, err := env.m.MarshalTo(b[5:]); err != nil {
		return err
	}
	_, err := bw.Write(b)
	return err
}

func (t *Transport) close() {
	select {
	case <-t.done:
		return
	default:
	}
	close(t.done)
	_ = t.ln.Close()
	t.wg.Wait()
}
