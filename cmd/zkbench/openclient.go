package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// pipeClient is the open-loop phases' client: raw sessions (pkg/wire) whose
// requests are written by the scheduler itself, all those due at one wake-up
// in one write per session, and whose replies a reader per session matches
// to requests by order (a server answers a session's requests in the order
// they were sent). Per request the load generator encodes a frame and reads
// a reply: no goroutine, no channel, so it keeps to its schedule at rates
// where one goroutine per go-zookeeper call would not.
type pipeClient struct {
	sessions []*pipeSession
	encode   func(e *wire.Encoder, w, k int)
}

type pipeSession struct {
	nc    net.Conn
	wmu   sync.Mutex    // held by a flush while it writes, so frames go out in order
	spare []byte        // the buffer of the last write, for the next frames
	mu    sync.Mutex    // guards what follows
	fifo  []int         // request numbers in flight, in the order sent
	enc   *wire.Encoder // the frames queued since the last flush
	dirty bool
	err   error
}

// dialPipe opens n sessions over addrs (round-robin); encode writes request
// k of session w (its header included) into e.
func dialPipe(addrs []string, n int, encode func(e *wire.Encoder, w, k int)) (*pipeClient, error) {
	c := &pipeClient{encode: encode}
	for w := 0; w < n; w++ {
		nc, _, err := rawHandshake(addrs[w%len(addrs)], 30*time.Second, 10*time.Second)
		if err != nil {
			c.close()
			return nil, err
		}
		c.sessions = append(c.sessions, newPipeSession(nc))
	}
	return c, nil
}

func newPipeSession(nc net.Conn) *pipeSession {
	return &pipeSession{nc: nc, enc: wire.NewEncoder(nil)}
}

func (c *pipeClient) close() {
	for _, s := range c.sessions {
		s.nc.Close()
	}
}

func (c *pipeClient) start(complete func(k int, failed bool)) {
	for _, s := range c.sessions {
		go s.read(complete)
	}
}

func (c *pipeClient) issue(w, k int) error {
	s := c.sessions[w]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.enc.BeginFrame()
	c.encode(s.enc, w, k)
	s.enc.EndFrame()
	s.fifo = append(s.fifo, k)
	s.dirty = true
	return nil
}

// flush writes every session's queued requests, without holding the lock
// the session's reader needs (a write may wait until the server reads,
// and the server until its replies are read). A failed write ends the
// session: the reader then fails what is in flight.
func (c *pipeClient) flush() {
	for _, s := range c.sessions {
		s.wmu.Lock()
		s.mu.Lock()
		if !s.dirty {
			s.mu.Unlock()
			s.wmu.Unlock()
			continue
		}
		b := s.enc.Bytes()
		s.enc, s.dirty, s.spare = wire.NewEncoder(s.spare), false, nil
		s.mu.Unlock()
		_, err := s.nc.Write(b)
		s.mu.Lock()
		s.spare = b[:0]
		if err != nil && s.err == nil {
			s.err = err
			s.nc.Close()
		}
		s.mu.Unlock()
		s.wmu.Unlock()
	}
}

// read matches replies to the requests in flight until the connection
// ends, then fails those left.
func (s *pipeSession) read(complete func(k int, failed bool)) {
	r := bufio.NewReaderSize(s.nc, 64<<10)
	var buf []byte
	for {
		b, err := wire.ReadFrame(r, buf, 1<<20)
		if err == nil && len(b) < 16 {
			err = fmt.Errorf("short reply (%d bytes)", len(b))
		}
		if err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			left := s.fifo
			s.fifo = nil
			s.mu.Unlock()
			for _, k := range left {
				complete(k, true)
			}
			return
		}
		buf = b
		xid := int32(binary.BigEndian.Uint32(b))
		if xid == wire.XidPing || xid == -1 {
			continue
		}
		code := int32(binary.BigEndian.Uint32(b[12:]))
		s.mu.Lock()
		if len(s.fifo) == 0 {
			s.mu.Unlock()
			continue // not ours (cannot happen: every request is queued before it is written)
		}
		k := s.fifo[0]
		s.fifo = s.fifo[1:]
		s.mu.Unlock()
		complete(k, code != 0)
	}
}
