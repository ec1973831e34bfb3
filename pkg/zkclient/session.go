package zkclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// session connects to addr, runs the connection and returns why it ended.
func (c *Conn) session(addr string, numHosts int) error {
	timeout := c.timeout
	if n := c.negotiated.Load(); n > 0 {
		timeout = time.Duration(n) * time.Millisecond
	}
	connectTimeout := timeout / time.Duration(max(numHosts, 1))
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	nc, err := c.dial(ctx, addr)
	cancel()
	if err != nil {
		return err
	}
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	readOnly, err := c.handshake(nc, br, connectTimeout)
	if err != nil {
		return err
	}
	if c.saslUser != "" {
		if err := c.saslLogin(nc, br, connectTimeout); err != nil {
			return err
		}
	}
	c.hmu.Lock()
	c.hosts.OnConnected()
	c.hmu.Unlock()
	c.mu.Lock()
	c.current, c.server = nc, addr
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.current, c.server = nil, ""
		c.mu.Unlock()
	}()
	c.setState(c.connectedState(readOnly), addr, nil)
	if readOnly {
		probeDone := make(chan struct{})
		defer close(probeDone)
		go c.probeRW(probeDone, func() { nc.Close() })
	}

	var readErr error
	readDone := make(chan struct{})
	go func() { readErr = c.readLoop(nc, br); close(readDone) }()
	err = c.writeLoop(nc, readDone)
	nc.Close()
	<-readDone
	if errors.Is(err, errReaderDone) {
		err = errOr(readErr, io.EOF)
	}
	if errors.Is(err, ErrAuthFailed) || c.isClosed() || c.closing.Load() {
		return err
	}
	c.setState(StateDisconnected, "", nil)
	c.failPending(ErrConnectionLoss)
	return err
}

// handshake sends the ConnectRequest and reads the answer; it reports
// whether the server took the session read-only.
func (c *Conn) handshake(nc net.Conn, br *bufio.Reader, deadline time.Duration) (bool, error) {
	req := wire.ConnectRequest{
		LastZxidSeen: c.lastZxid.Load(),
		TimeOut:      int32(c.timeout.Milliseconds()),
		SessionID:    c.sessionToResume(),
		Passwd:       c.passwd,
		HasReadOnly:  true,
		ReadOnly:     c.ro.allowed,
	}
	nc.SetDeadline(time.Now().Add(deadline))
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	req.Encode(e)
	e.EndFrame()
	if _, err := nc.Write(e.Bytes()); err != nil {
		return false, err
	}
	b, err := wire.ReadFrame(br, nil, wire.DefaultMaxBuffer)
	if err != nil {
		return false, err
	}
	var resp wire.ConnectResponse
	if err := resp.Decode(wire.NewDecoder(b)); err != nil {
		return false, err
	}
	nc.SetDeadline(time.Time{})
	if resp.TimeOut <= 0 {
		// The server no longer knows the session (expired, or a wrong password):
		// the application must decide; no new session is made behind its back.
		if req.SessionID != 0 {
			return false, ErrSessionExpired
		}
		return false, fmt.Errorf("zkclient: server refused a new session")
	}
	c.sessionID.Store(resp.SessionID)
	c.passwd = resp.Passwd
	c.negotiated.Store(int64(resp.TimeOut))
	return resp.ReadOnly, nil
}
