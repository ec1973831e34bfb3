package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkensemble/zkensemble/internal/refzk"
	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
	"github.com/zkensemble/zkensemble/test/nemesis/model"
)

// TestLinearizableUnderFailures runs clients on every member of a 3-member
// ensemble doing puts (setData) and linearizable reads (sync + getData) on a
// few znodes while the leader is killed and restarted and, later, the new
// leader is partitioned away and healed. The history must be linearizable:
// no acknowledged write lost, no stale read after sync.
func TestLinearizableUnderFailures(t *testing.T) {
	ens := refzk.StartOursEnsemble(t, refzk.BuildOurs(t), 3, refzk.Options{TickTime: 500, Args: []string{"--fault-injection"}})
	ctx := context.Background()
	keys := []string{"/lin0", "/lin1", "/lin2"}
	setup := dial(t, ens.ConnectString(), 10*time.Second)
	for _, k := range keys {
		retry(t, "create "+k, func() error {
			_, _, err := setup.Create(ctx, k, []byte(model.RegisterInit), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
			if errors.Is(err, wire.ErrNodeExists) {
				return nil
			}
			return err
		})
	}

	const clients = 6
	duration := 12 * time.Second
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		wg      sync.WaitGroup
		acked   int
	)
	stop := time.Now().Add(duration)
	for i := 0; i < clients; i++ {
		c := dial(t, ens.Servers[i%len(ens.Servers)].Addr, 10*time.Second)
		wg.Add(1)
		go func(id int, c *zkclient.Conn) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(id), 7))
			pace := time.NewTicker(20 * time.Millisecond) // a bounded request rate keeps the history checkable
			defer pace.Stop()
			for n := 0; time.Now().Before(stop); n++ {
				<-pace.C
				key := keys[rnd.IntN(len(keys))]
				octx, cancel := context.WithTimeout(ctx, 3*time.Second)
				call := time.Now().UnixNano()
				if rnd.IntN(2) == 0 {
					val := fmt.Sprintf("c%d-%d", id, n)
					_, err := c.Set(octx, key, []byte(val), -1)
					ret := time.Now().UnixNano()
					if err != nil {
						// Unknown outcome: the write may still be applied later.
						ret = math.MaxInt64
					}
					mu.Lock()
					history = append(history, porcupine.Operation{ClientId: id, Input: model.RegInput{Key: key, Put: true, Value: val}, Call: call, Output: model.RegOutput{}, Return: ret})
					if err == nil {
						acked++
					}
					mu.Unlock()
				} else {
					err := c.Sync(octx, key)
					var data []byte
					if err == nil {
						data, _, err = c.Get(octx, key)
					}
					ret := time.Now().UnixNano()
					if err == nil {
						mu.Lock()
						history = append(history, porcupine.Operation{ClientId: id, Input: model.RegInput{Key: key}, Call: call, Output: model.RegOutput{Value: string(data)}, Return: ret})
						mu.Unlock()
					}
				}
				cancel()
			}
		}(i, c)
	}

	post := func(s *refzk.Server, path string) {
		resp, err := s.AdminClient().Do(ctx, http.MethodPost, path, nil)
		if err != nil {
			t.Errorf("fault injection %s on %s: %v", path, s.Addr, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("fault injection %s on %s: %s", path, s.Addr, resp.Status)
		}
	}
	at := func(d time.Duration) { time.Sleep(time.Until(stop.Add(-duration).Add(d))) } // the fault schedule
	at(2 * time.Second)
	first := leaderOf(t, ens)
	first.Kill()
	t.Logf("killed leader %s", first.Addr)
	at(5 * time.Second)
	first.Restart()
	at(7 * time.Second)
	second := leaderOf(t, ens)
	post(second, "/debug/partition?peers=all")
	t.Logf("partitioned leader %s", second.Addr)
	at(10 * time.Second)
	post(second, "/debug/heal")
	wg.Wait()

	// A final linearizable read of every key closes the history.
	final := dial(t, ens.ConnectString(), 10*time.Second)
	for _, k := range keys {
		retry(t, "final read", func() error {
			call := time.Now().UnixNano()
			if err := final.Sync(ctx, k); err != nil {
				return err
			}
			data, _, err := final.Get(ctx, k)
			if err != nil {
				return err
			}
			history = append(history, porcupine.Operation{ClientId: clients, Input: model.RegInput{Key: k}, Call: call, Output: model.RegOutput{Value: string(data)}, Return: time.Now().UnixNano()})
			return nil
		})
	}
	t.Logf("history: %d operations, %d acknowledged writes", len(history), acked)
	if acked < 50 {
		t.Fatalf("only %d writes were acknowledged: the ensemble did not serve through the failures", acked)
	}
	switch res := porcupine.CheckOperationsTimeout(model.Register, history, 2*time.Minute); res {
	case porcupine.Ok:
	case porcupine.Unknown:
		t.Fatalf("the linearizability check did not finish in time (%d operations)", len(history))
	default:
		t.Fatalf("the history is not linearizable (%d operations)", len(history))
	}
}
