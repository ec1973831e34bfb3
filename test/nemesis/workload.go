package nemesis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
	"github.com/zkensemble/zkensemble/test/nemesis/model"
)

// Workload sizes and pace: a bounded request rate keeps histories checkable.
const (
	regClients      = 4
	seqClients      = 2
	regKeys         = 3 // registers per epoch
	pace            = 30 * time.Millisecond
	workloadTimeout = 8 * time.Second // the workload's sessions: longer than any fault lets a quorum go unreachable
	opTimeout       = 5 * time.Second
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var acl = zkclient.WorldACL(wire.PermAll)

// workload is the clients' side of a run: register clients (pkg/zkclient)
// and sequential-create clients (github.com/go-zookeeper/zk), all connected
// to every member from the host's main address. Each epoch (one step of the
// schedule) has its own registers and parent, so porcupine checks small
// partitions.
type workload struct {
	c     *Cluster
	h     *History
	epoch atomic.Int64
	wg    sync.WaitGroup
	// sessions owned by the workload, with the ephemeral each created.
	mu       sync.Mutex
	sessions []ownedSession
	conns    []*zkclient.Conn
}

type ownedSession struct {
	name string
	sid  int64
	path string
}

func regKey(epoch int64, k int) string { return fmt.Sprintf("/reg/e%d-k%d", epoch, k) }
func seqParent(epoch int64) string     { return fmt.Sprintf("/seq/e%d", epoch) }

// zkDialer is a zkclient dialer from host address src.
func zkDialer(src string) func(ctx context.Context, addr string) (net.Conn, error) {
	d := dialFrom(src)
	return func(ctx context.Context, addr string) (net.Conn, error) { return d(ctx, "tcp", addr) }
}

// goZKDialer is a go-zookeeper dialer from host address src.
func goZKDialer(src string) zk.Dialer {
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: timeout}
		return d.Dial(network, addr)
	}
}

// connect opens a zkclient session from the host's main address.
func (w *workload) connect(timeout time.Duration) (*zkclient.Conn, error) {
	return zkclient.Connect(w.c.ConnectString(), timeout, zkclient.WithLogger(quiet), zkclient.WithDialer(zkDialer(w.c.Net.HostIP(0))),
		zkclient.WithReconnectJitter(100*time.Millisecond), zkclient.WithBackoff(200*time.Millisecond))
}

// prepare creates epoch's registers and parent (the ensemble is healthy
// between steps, so this succeeds within the deadline).
func (w *workload) prepare(ctx context.Context, admin *zkclient.Conn, epoch int64) error {
	paths := []string{seqParent(epoch)}
	for k := 0; k < regKeys; k++ {
		paths = append(paths, regKey(epoch, k))
	}
	for _, p := range paths {
		if err := retry(ctx, 30*time.Second, func(octx context.Context) error {
			_, _, err := admin.Create(octx, p, []byte(model.RegisterInit), zkclient.Persistent, acl)
			if errors.Is(err, wire.ErrNodeExists) {
				return nil
			}
			return err
		}); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	return nil
}

// start runs the clients until ctx ends.
func (w *workload) start(ctx context.Context) error {
	for i := 0; i < regClients; i++ {
		c, err := w.connect(workloadTimeout)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("register client %d", i)
		if err := w.own(ctx, name, c); err != nil {
			return err
		}
		w.mu.Lock()
		w.conns = append(w.conns, c)
		w.mu.Unlock()
		w.watchZkclient(name, c)
		w.wg.Add(1)
		go w.registers(ctx, i, c)
	}
	for i := 0; i < seqClients; i++ {
		c, events, err := zk.Connect(w.c.Addrs(), workloadTimeout, zk.WithDialer(goZKDialer(w.c.Net.HostIP(0))), zk.WithLogInfo(false), zk.WithLogger(discardZK{}))
		if err != nil {
			return err
		}
		name := fmt.Sprintf("sequential client %d", i)
		go w.watchGoZK(name, events)
		w.wg.Add(1)
		go w.creates(ctx, regClients+i, c)
	}
	return nil
}

// close ends the register clients' sessions (after the final checks: it
// deletes their ephemerals).
func (w *workload) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		_ = c.Close()
	}
}

// own creates an ephemeral for session c, to check at the end that it is
// still there (the session never expired).
func (w *workload) own(ctx context.Context, name string, c *zkclient.Conn) error {
	p := fmt.Sprintf("/eph/%s", strings.ReplaceAll(name, " ", "-"))
	if err := retry(ctx, 30*time.Second, func(octx context.Context) error {
		_, _, err := c.Create(octx, p, nil, zkclient.Ephemeral, acl)
		if errors.Is(err, wire.ErrNodeExists) {
			return nil // an earlier try whose reply was lost; its owner is checked at the end
		}
		return err
	}); err != nil {
		return fmt.Errorf("%s: ephemeral: %w", name, err)
	}
	w.mu.Lock()
	w.sessions = append(w.sessions, ownedSession{name, c.SessionID(), p})
	w.mu.Unlock()
	return nil
}

func (w *workload) watchZkclient(name string, c *zkclient.Conn) {
	go func() {
		for ev := range c.Events() {
			if ev.Type == zkclient.EventSession && ev.State == zkclient.StateExpired {
				w.h.Violation("the session of %s expired while it could reach a quorum", name)
			}
			if ev.Type == zkclient.EventSession && ev.State == zkclient.StateClosed {
				return
			}
		}
	}()
}

func (w *workload) watchGoZK(name string, events <-chan zk.Event) {
	for ev := range events {
		if ev.Type == zk.EventSession && ev.State == zk.StateExpired {
			w.h.Violation("the session of %s expired while it could reach a quorum", name)
		}
	}
}

// registers puts and reads (sync + getData) the epoch's registers.
func (w *workload) registers(ctx context.Context, id int, c *zkclient.Conn) {
	defer w.wg.Done()
	rnd := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		key := regKey(w.epoch.Load(), rnd.IntN(regKeys))
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		call := time.Now()
		if rnd.IntN(2) == 0 {
			val := fmt.Sprintf("c%d-%d", id, n)
			_, err := c.Set(octx, key, []byte(val), -1)
			w.h.put(id, key, val, call, err == nil)
		} else if err := c.Sync(octx, key); err == nil {
			if data, _, err := c.Get(octx, key); err == nil {
				w.h.get(id, key, string(data), call)
			}
		}
		cancel()
	}
}

// creates makes sequential children of the epoch's parent.
func (w *workload) creates(ctx context.Context, id int, c *zk.Conn) {
	defer w.wg.Done()
	stop := context.AfterFunc(ctx, c.Close) // unblocks a create waiting for a reply
	defer stop()
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		parent := seqParent(w.epoch.Load())
		call := time.Now()
		name, err := c.Create(parent+"/n-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if ctx.Err() != nil && err != nil {
			w.h.create(id, parent, "", 0, call) // cut short by the end of the run: unknown
			return
		}
		if err != nil {
			w.h.create(id, parent, "", 0, call)
			continue
		}
		n, perr := strconv.ParseInt(name[len(name)-10:], 10, 64)
		if perr != nil || !strings.HasPrefix(name, parent+"/n-") {
			w.h.Violation("sequential create under %s returned %q", parent, name)
			continue
		}
		w.h.create(id, parent, name, n, call)
	}
}

// retry runs op until it succeeds, ctx ends or d passes; connection loss
// during a failover is retried, as applications do.
func retry(ctx context.Context, d time.Duration, op func(ctx context.Context) error) error {
	deadline := time.Now().Add(d)
	for {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		err := op(octx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond): // retry interval during a failover
		}
	}
}

type discardZK struct{}

func (discardZK) Printf(string, ...any) {}
