package sessionserver

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
)

// startServer runs an in-process standalone server on loopback with a short tick.
func startServer(t testing.TB, mutate func(*Config), opts ...Option) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.TickTime = 200
	cfg.ClientPort = 0
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.AdminAddress = "127.0.0.1"
	cfg.AdminPort = 0
	cfg.FourLetterAll = true
	cfg.ContainerInterval = 100 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg, append([]Option{WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawConn speaks the protocol byte by byte, for what go-zk cannot express.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) send(recs ...wire.Record) {
	r.t.Helper()
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	for _, rec := range recs {
		rec.Encode(e)
	}
	e.EndFrame()
	r.sendBytes(e.Bytes())
}

func (r *rawConn) sendBytes(b []byte) {
	r.t.Helper()
	r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// frame reads one frame; a closed connection returns nil.
func (r *rawConn) frame() []byte {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := wire.ReadFrame(r.br, nil, 4<<20)
	if err != nil {
		return nil
	}
	return b
}

// connect performs a handshake and returns the response.
func (r *rawConn) connect(req wire.ConnectRequest) wire.ConnectResponse {
	r.t.Helper()
	r.send(&req)
	b := r.frame()
	if b == nil {
		r.t.Fatal("connection closed during handshake")
	}
	var resp wire.ConnectResponse
	if err := resp.Decode(wire.NewDecoder(b)); err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func (r *rawConn) newSession(timeout int32) wire.ConnectResponse {
	r.t.Helper()
	return r.connect(wire.ConnectRequest{TimeOut: timeout, Passwd: make([]byte, 16)})
}

// reply reads a reply frame and splits header and body.
func (r *rawConn) reply() (wire.ReplyHeader, []byte) {
	r.t.Helper()
	b := r.frame()
	if b == nil {
		r.t.Fatal("connection closed")
	}
	var h wire.ReplyHeader
	d := wire.NewDecoder(b)
	if err := h.Decode(d); err != nil {
		r.t.Fatal(err)
	}
	return h, d.Rest()
}

// closed reports whether the server closed the connection (EOF within the deadline).
func (r *rawConn) closed() bool {
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.br.ReadByte()
	return err != nil
}

// poll waits for cond with a deadline.
func poll(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}
