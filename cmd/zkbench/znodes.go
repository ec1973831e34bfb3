package main

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// znodeMemory creates cfg.znodes znodes with 10-byte payloads (in multi
// requests of 100 creates, 1,000 children per parent) on a fresh standalone
// server and records its resident memory.
func znodeMemory(r *running, cfg *config, add func(Result)) error {
	pid := r.servers[0].Pid()
	idle, err := procRSS(pid)
	if err != nil {
		return err
	}
	res := Result{Phase: phaseZnodes, Deployment: depStandalone, System: r.spec.System,
		Title: fmt.Sprintf("%d znodes of 10 bytes (/m/bNNNN/nNNNN, 1,000 children per parent, created with multi requests of 100): resident memory of the server", cfg.znodes)}
	made, took, err := buildZnodes(r, cfg.znodes)
	if err != nil {
		res.Error = fmt.Sprintf("after %d znodes: %v", made, err)
		add(res)
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle (background snapshot, GC) before reading its RSS
	res.Metrics = append(memMetrics(r, idle, cfg.znodes, "bytes per znode"),
		Metric{Name: "znodes created/s (multi of 100)", Value: float64(made) / took.Seconds(), Better: higher})
	add(res)
	logf("%s %s: %s", r.spec.Key, res.Phase, brief(res))
	return nil
}

// znodePath is the path of the k-th znode buildZnodes creates.
func znodePath(k int) string {
	return fmt.Sprintf("/m/b%04d/n%04d", k/znodesPerParent, k%znodesPerParent)
}

const znodesPerParent = 1000

// buildZnodes creates n znodes with 10-byte payloads, /m/bNNNN/nNNNN with
// 1,000 children per parent, in multi requests of 100 creates over 16
// sessions (64 requests in flight); it returns how many it made and the
// time the multis took.
func buildZnodes(r *running, n int) (int64, time.Duration, error) {
	const conns, batch = 16, 100
	var cs []*zk.Conn
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := zkConnect(r.addrs[0], 30*time.Second)
		if err != nil {
			return 0, 0, err
		}
		cs = append(cs, c)
	}
	acl := zk.WorldACL(zk.PermAll)
	parents := (n + znodesPerParent - 1) / znodesPerParent
	var paths []string
	for i := 0; i < parents; i++ {
		paths = append(paths, fmt.Sprintf("/m/b%04d", i))
	}
	if _, err := cs[0].Create("/m", nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return 0, 0, err
	}
	if err := parallelCreate(cs, paths, nil); err != nil {
		return 0, 0, err
	}
	data := []byte("0123456789")
	batches := (n + batch - 1) / batch
	t0 := time.Now()
	var made atomic.Int64
	var wg sync.WaitGroup
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	for g := 0; g < 4*conns; g++ {
		wg.Add(1)
		go func(c *zk.Conn) {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= batches {
					return
				}
				var ops []any
				for k := b * batch; k < (b+1)*batch && k < n; k++ {
					ops = append(ops, &zk.CreateRequest{Path: znodePath(k), Data: data, Acl: acl})
				}
				if _, err := c.Multi(ops...); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(batches))
					return
				}
				made.Add(int64(len(ops)))
			}
		}(cs[g%conns])
	}
	wg.Wait()
	return made.Load(), time.Since(t0), first
}
