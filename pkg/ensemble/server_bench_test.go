package ensemble

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/storage/wal"

	"github.com/zkensemble/zkensemble/pkg/sessionserver"
	"github.com/zkensemble/zkensemble/pkg/wire"
)

// startStandalone runs the server as the binary runs it with a dataDir: a
// session server on a one-member ensemble (fsync on), on loopback.
func startStandalone(b *testing.B) string {
	b.Helper()
	// The binary's WAL segments, not TestMain's small ones (a cut allocates
	// the encoder's buffers anew).
	small := wal.SegmentSizeBytes
	wal.SegmentSizeBytes = 64 * 1000 * 1000
	b.Cleanup(func() { wal.SegmentSizeBytes = small })
	id := uint64(1)
	node, err := New(Config{ID: id, EnsembleID: "bench", Peers: map[uint64]string{id: freeAddr(b)}, DataDir: b.TempDir(),
		TickInterval: 100 * time.Millisecond, Secret: testSecret, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	cfg := sessionserver.DefaultConfig()
	cfg.ClientPortAddress, cfg.ClientPort, cfg.AdminPort, cfg.MaxClientCnxns = "127.0.0.1", 0, -1, 0
	srv, err := sessionserver.New(cfg, sessionserver.WithLogger(quietLogger()), sessionserver.WithReplicatedLog(node),
		sessionserver.WithTracker(NewSessionTracker(node, cfg.TickTime)))
	if err != nil {
		b.Fatal(err)
	}
	if err := node.Run(srv); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(node.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for st, changed := node.QuorumState(); st != sessionserver.InQuorum; st, changed = node.QuorumState() {
		select {
		case <-changed:
		case <-ctx.Done():
			b.Fatalf("the member does not serve: %v", st)
		}
	}
	if err := srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv.Addr()
}

// benchClient is a session that sends prepared frames and reads replies
// into one buffer, so that it allocates nothing per request itself.
type benchClient struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func dialSession(b *testing.B, addr string) *benchClient {
	b.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	c := &benchClient{nc: nc, br: bufio.NewReader(nc), buf: make([]byte, 0, 4096)}
	c.roundTrip(b, frame(&wire.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)}))
	return c
}

func frame(recs ...wire.Record) []byte {
	e := wire.NewEncoder(nil)
	e.BeginFrame()
	for _, r := range recs {
		r.Encode(e)
	}
	e.EndFrame()
	return e.Bytes()
}

// roundTrip sends f and returns the reply's error code (0 for a handshake).
func (c *benchClient) roundTrip(b *testing.B, f []byte) int32 {
	if _, err := c.nc.Write(f); err != nil {
		b.Fatal(err)
	}
	var err error
	if c.buf, err = wire.ReadFrame(c.br, c.buf[:0], 1<<20); err != nil {
		b.Fatal(err)
	}
	if len(c.buf) < 16 {
		return 0
	}
	return int32(c.buf[12])<<24 | int32(c.buf[13])<<16 | int32(c.buf[14])<<8 | int32(c.buf[15])
}

// BenchmarkServer measures whole requests through the standalone server
// (one-member ensemble, fsync on) from 64 sessions on loopback, each waiting
// for its reply: allocs/op and B/op are the server's per request (the
// clients allocate nothing per request); cpu-µs/op is the process's CPU per
// request, clients included. Timings move with the machine's load.
// Run: go test -run '^$' -bench 'Server/' -benchmem ./pkg/ensemble/
func BenchmarkServer(b *testing.B) {
	const clients = 64
	payload := make([]byte, 100)
	set := frame(&wire.RequestHeader{Xid: 2, Type: wire.OpSetData}, &wire.SetDataRequest{Path: "/bench", Data: payload, Version: -1})
	get := frame(&wire.RequestHeader{Xid: 2, Type: wire.OpGetData}, &wire.PathWatchRequest{Path: "/bench"})
	for _, tc := range []struct {
		name string
		reqs [][]byte // what each session sends, in turn
	}{
		{"setData", [][]byte{set}},
		{"getData", [][]byte{get}},
		{"read90", [][]byte{get, get, get, get, get, get, get, get, get, set}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			addr := startStandalone(b)
			cs := make([]*benchClient, clients)
			for i := range cs {
				cs[i] = dialSession(b, addr)
			}
			open := []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "world", ID: "anyone"}}}
			if code := cs[0].roundTrip(b, frame(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}, &wire.CreateRequest{Path: "/bench", Data: payload, ACL: open})); code != 0 {
				b.Fatalf("create: error %d", code)
			}
			var next sync.Mutex
			left := b.N
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Go(func() {
					for k := i; ; k++ {
						next.Lock()
						if left == 0 {
							next.Unlock()
							return
						}
						left--
						next.Unlock()
						if code := c.roundTrip(b, tc.reqs[k%len(tc.reqs)]); code != 0 {
							panic(fmt.Sprintf("%s: error %d", tc.name, code))
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the CPU (user and system) the process used so far: per request
// it moves less with the machine's other load than throughput does.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
