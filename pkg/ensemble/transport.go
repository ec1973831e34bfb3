package ensemble

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
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
// stream per peer, fed by a queue, reconnecting on failure; incoming streams
// are handed to the node. Drop lets tests cut links (partitions).
type Transport struct {
	id     uint64
	log    *slog.Logger
	ln     net.Listener
	recv   func(ctx context.Context, m pb.Message) error
	report func(to uint64, m pb.Message, err error)
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
}

// Frame kinds on a member-to-member stream.
const (
	kindRaft          byte = 0
	kindTouches       byte = 1
	kindReconfig      byte = 2
	kindReconfigReply byte = 3
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

func newTransport(id uint64, listen string, log *slog.Logger) (*Transport, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	return &Transport{id: id, log: log, ln: ln, peers: map[uint64]*peer{}, done: make(chan struct{})}, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() string { return t.ln.Addr().String() }

// SetDrop installs a fault injector: messages for which it returns true are
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

func (t *Transport) serveConn(c net.Conn) {
	defer c.Close()
	go func() { <-t.done; c.Close() }()
	br := bufio.NewReaderSize(c, 256<<10)
	var hdr [4]byte
	buf := make([]byte, 0, 64<<10)
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > maxMessage {
			t.log.Warn("ensemble: oversized message from a peer", "bytes", n)
			return
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return
		}
		if len(buf) == 0 {
			return
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
			t.log.Warn("ensemble: undecodable message from a peer", "err", err)
			return
		}
		if t.dropped(m.From, m.To) {
			continue
		}
		if err := t.recv(context.Background(), m); err != nil && !errors.Is(err, context.Canceled) {
			t.log.Debug("ensemble: step", "err", err)
		}
	}
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
	p := &peer{id: id, addr: addr, q: make(chan envelope, 4096), stop: make(chan struct{})}
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

// SendRaw queues a non-Raft frame (session touches) for a member; it is
// dropped when the queue is full or the link is cut.
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

func (t *Transport) runPeer(p *peer) {
	var c net.Conn
	var bw *bufio.Writer
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	buf := make([]byte, 0, 64<<10)
	for {
		var env envelope
		select {
		case <-p.stop:
			return
		case <-t.done:
			return
		case env = <-p.q:
		}
		m := env.m
		if c == nil {
			d := net.Dialer{Timeout: time.Second}
			var err error
			c, err = d.Dial("tcp", p.addr)
			if err != nil {
				c = nil
				t.report(p.id, m, err)
				continue
			}
			bw = bufio.NewWriterSize(c, 256<<10)
		}
		// Write this frame and whatever else is queued, then flush once.
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
	t.ln.Close()
	t.wg.Wait()
}
