package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

// BenchmarkEnsembleWrites measures the write throughput of a 3-member
// ensemble (fsync on) with 1, 16 and 64 concurrent go-zookeeper sessions,
// spread over the members, each writing 100-byte setData in a closed loop.
// Run it with: go test -run '^$' -bench EnsembleWrites -benchtime 1x ./cmd/zkensemble-server/
func BenchmarkEnsembleWrites(b *testing.B) {
	ens := refzk.StartOursEnsemble(b, refzk.BuildOurs(b), 3, refzk.Options{TickTime: 2000, MaxClientCnxns: intp(0)})
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			conns := make([]*zk.Conn, clients)
			for i := range conns {
				c, _, err := zk.Connect([]string{ens.Servers[i%3].Addr}, 10*time.Second, zk.WithLogger(quietZK{}))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				conns[i] = c
				path := fmt.Sprintf("/bench-%d-%d", clients, i)
				for {
					if _, err := c.Create(path, nil, 0, zk.WorldACL(zk.PermAll)); err == nil || errors.Is(err, zk.ErrNodeExists) {
						break
					}
					time.Sleep(50 * time.Millisecond) // the session is still connecting
				}
			}
			payload := make([]byte, 100)
			const warmup, measure = time.Second, 4 * time.Second
			var ops atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for i, c := range conns {
				wg.Add(1)
				go func(i int, c *zk.Conn) {
					defer wg.Done()
					path := fmt.Sprintf("/bench-%d-%d", clients, i)
					for time.Since(start) < warmup+measure {
						if _, err := c.Set(path, payload, -1); err != nil {
							continue
						}
						if time.Since(start) > warmup {
							ops.Add(1)
						}
					}
				}(i, c)
			}
			wg.Wait()
			rate := float64(ops.Load()) / measure.Seconds()
			b.ReportMetric(rate, "writes/s")
			b.Logf("3-member ensemble, %d clients: %.0f writes/s", clients, rate)
		})
	}
}

func intp(v int) *int { return &v }

// BenchmarkExpiryStorm opens many sessions with an ephemeral each, drops all
// their connections at once, and measures how long until every ephemeral is
// gone on the leader and how many log entries the expiry used.
// Run it with: go test -run '^$' -bench ExpiryStorm -benchtime 1x ./cmd/zkensemble-server/
func BenchmarkExpiryStorm(b *testing.B) {
	const sessions = 10000
	ens := refzk.StartOursEnsemble(b, refzk.BuildOurs(b), 3, refzk.Options{TickTime: 1000, MaxClientCnxns: intp(0)})
	ctx := context.Background()
	root, err := zkclient.Connect(ens.ConnectString(), 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	for {
		if _, _, err := root.Create(ctx, "/storm", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll)); err == nil || errors.Is(err, wire.ErrNodeExists) {
			break
		}
		time.Sleep(50 * time.Millisecond) // connecting
	}
	var wg sync.WaitGroup
	var made atomic.Int64
	raws := make([]*rawSession, sessions)
	sem := make(chan struct{}, 64)
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			s := rawConnectB(b, ens.Servers[i%3].Addr)
			if s == nil {
				return
			}
			raws[i] = s
			e := wire.NewEncoder(nil)
			e.BeginFrame()
			(&wire.RequestHeader{Xid: 1, Type: wire.OpCreate}).Encode(e)
			(&wire.CreateRequest{Path: fmt.Sprintf("/storm/e%05d", i), ACL: []wire.ACL{{Perms: 31, ID: wire.Id{Scheme: "world", ID: "anyone"}}}, Flags: wire.ModeEphemeral}).Encode(e)
			e.EndFrame()
			s.nc.Write(e.Bytes())
			if _, err := wire.ReadFrame(s.nc, nil, 1<<20); err == nil {
				made.Add(1)
			}
		}(i)
	}
	wg.Wait()
	leader := ens.Leader()
	st, err := leader.AdminClient().Status(ctx)
	if err != nil {
		b.Fatal(err)
	}
	before := st.AppliedIndex
	start := time.Now()
	for _, s := range raws {
		if s != nil {
			s.nc.Close()
		}
	}
	lc, err := zkclient.Connect(leader.Addr, 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer lc.Close()
	for {
		n, err := lc.AllChildrenNumber(ctx, "/storm")
		if err == nil && n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	elapsed := time.Since(start)
	st, _ = leader.AdminClient().Status(ctx)
	b.ReportMetric(elapsed.Seconds(), "s-until-all-gone")
	b.ReportMetric(float64(st.AppliedIndex-before), "log-entries")
	b.Logf("%d sessions (timeout 10 s, tick 1 s) with an ephemeral each dropped at once: all ephemerals gone after %v; %d log entries used",
		made.Load(), elapsed, st.AppliedIndex-before)
}

func rawConnectB(b *testing.B, addr string) *rawSession {
	for try := 0; try < 50; try++ {
		nc, err := dialTCP(addr)
		if err != nil {
			continue
		}
		nc.Write(wire.AppendFrame(nil, wire.Marshal(&wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)})))
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf, err := wire.ReadFrame(nc, nil, 1<<20)
		if err != nil {
			nc.Close()
			continue
		}
		var resp wire.ConnectResponse
		if resp.Decode(wire.NewDecoder(buf)) != nil || resp.SessionID == 0 {
			nc.Close()
			continue
		}
		nc.SetReadDeadline(time.Time{})
		return &rawSession{nc: nc, sid: resp.SessionID}
	}
	return nil
}
