package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// diskWriters are two clients writing znodes under /d without pause: a
// go-zookeeper one whose session is attached to the faulty member, and a
// zkclient one on any member. Each holds an ephemeral, to show its session
// survives. acked lists the znodes whose creation was acknowledged.
type diskWriters struct {
	gz           *zk.Conn
	zc           *zkclient.Conn
	gzSID, zcSID int64
	stopc        chan struct{}
	wg           sync.WaitGroup
	mu           sync.Mutex
	acked        []string
}

// sessionTimeout is far longer than a session needs to move to another
// member (the faulty one stops at once; its clients reconnect elsewhere).
const sessionTimeout = 30 * time.Second

func startDiskWriters(t *testing.T, d *faultyEnsemble) *diskWriters {
	t.Helper()
	ctx := context.Background()
	w := &diskWriters{stopc: make(chan struct{})}
	w.gz = zkDial(t, d.sessionFirstOn(d.faulty), sessionTimeout)
	if w.gz.Server() != d.faulty.Addr {
		t.Fatalf("go-zookeeper session attached to %s, want member 3 (%s)", w.gz.Server(), d.faulty.Addr)
	}
	w.zc = dial(t, d.faulty.Addr+","+d.servers[0].Addr+","+d.servers[1].Addr, sessionTimeout)
	retry(t, "creating /d and the ephemerals", func() error {
		if _, _, err := w.zc.Create(ctx, "/d", nil, zkclient.Persistent, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
			return err
		}
		if _, _, err := w.zc.Create(ctx, "/eph-zc", nil, zkclient.Ephemeral, zkclient.WorldACL(wire.PermAll)); err != nil && !errors.Is(err, wire.ErrNodeExists) {
			return err
		}
		if _, err := w.gz.Create("/eph-gz", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
		return nil
	})
	w.gzSID, w.zcSID = w.gz.SessionID(), w.zc.SessionID()
	w.loop("gz", func(p string) error {
		_, err := w.gz.Create(p, []byte(p), 0, zk.WorldACL(zk.PermAll))
		return err
	})
	w.loop("zc", func(p string) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, _, err := w.zc.Create(cctx, p, []byte(p), zkclient.Persistent, zkclient.WorldACL(wire.PermAll))
		return err
	})
	t.Cleanup(func() { w.halt() })
	return w
}

// loop creates /d/<name>-<i> for i = 0, 1, ... until stopped; a creation
// that fails (the connection lost with its member) is not retried under the
// same name, so acked holds exactly the acknowledged ones.
func (w *diskWriters) loop(name string, create func(p string) error) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-w.stopc:
				return
			default:
			}
			p := fmt.Sprintf("/d/%s-%d", name, i)
			if err := create(p); err != nil {
				time.Sleep(20 * time.Millisecond) // a client's pause before its next try
				continue
			}
			w.mu.Lock()
			w.acked = append(w.acked, p)
			w.mu.Unlock()
		}
	}()
}

func (w *diskWriters) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// waitAcked waits until at least n creations were acknowledged.
func (w *diskWriters) waitAcked(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for w.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged, want %d", w.count(), n)
		}
		time.Sleep(20 * time.Millisecond) // polling the writers' progress
	}
}

func (w *diskWriters) halt() {
	select {
	case <-w.stopc:
	default:
		close(w.stopc)
	}
	w.wg.Wait()
}

// stop ends the writes, checks both sessions are the ones they began with,
// their ephemerals still there, and returns the acknowledged znodes.
func (w *diskWriters) stop(t *testing.T) []string {
	t.Helper()
	w.halt()
	if sid := w.gz.SessionID(); sid != w.gzSID {
		t.Fatalf("go-zookeeper session %#x, began as %#x", sid, w.gzSID)
	}
	if sid := w.zc.SessionID(); sid != w.zcSID {
		t.Fatalf("zkclient session %#x, began as %#x", sid, w.zcSID)
	}
	retry(t, "the sessions' ephemerals", func() error {
		if ok, _, err := w.gz.Exists("/eph-gz"); err != nil || !ok {
			return fmt.Errorf("/eph-gz: exists %v, %w", ok, err)
		}
		if st, err := w.zc.Exists(context.Background(), "/eph-zc"); err != nil || st == nil {
			return fmt.Errorf("/eph-zc: %v, %w", st, err)
		}
		return nil
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}
