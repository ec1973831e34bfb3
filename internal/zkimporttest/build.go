package zkimporttest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

func Connect(t testing.TB, addr string, timeout time.Duration) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(quietZK{}), zk.WithMaxBufferSize(4<<20), zk.WithMaxConnBufferSize(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-deadline:
			c.Close()
			t.Fatalf("no session with %s", addr)
		}
	}
}

// Build writes, through ZooKeeper, a tree with every kind of
// znode and a history of changes: nested data znodes (one of ~1 MB), world,
// digest, ip and auth ACLs, sequential, container and TTL znodes, setData,
// setACL and delete history, multis (one failed), and quota nodes. It
// authenticates as the super user, so ACLs never stop it.
func Build(t testing.TB, c *zk.Conn, dirs, perDir int) {
	t.Helper()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nil, c.AddAuth("digest", []byte("alice:secret")))
	must(nil, c.AddAuth("digest", []byte(Super)))
	world := zk.WorldACL(zk.PermAll)
	aclKinds := [][]zk.ACL{
		world,
		zk.WorldACL(zk.PermRead),
		zk.DigestACL(zk.PermAll, "bob", "pw"),
		{{Perms: zk.PermRead | zk.PermWrite, Scheme: "ip", ID: "127.0.0.1"}, {Perms: zk.PermAll, Scheme: "ip", ID: "10.0.0.0/8"}},
		zk.AuthACL(zk.PermAll),
	}
	must(c.Create("/app", []byte("root of the import test"), 0, world))
	must(c.Create("/quota-me", nil, 0, world))
	// Quota on /quota-me, the way zkCli setquota writes it.
	for _, p := range []string{"/zookeeper/quota/quota-me"} {
		must(c.Create(p, nil, 0, world))
	}
	must(c.Create("/zookeeper/quota/quota-me/zookeeper_limits", []byte("count=100,bytes=-1"), 0, world))
	must(c.Create("/zookeeper/quota/quota-me/zookeeper_stats", []byte("count=0,bytes=0"), 0, world))
	var wg sync.WaitGroup
	errs := make(chan error, dirs)
	for d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fillDir(c, d, perDir, aclKinds)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1_000_000/16)
	must(c.Create("/app/big", big, 0, world))
	must(c.Set("/app/big", big[:999_000], 0))
	// Sequential children, a container with children, TTL znodes.
	must(c.Create("/app/seqs", nil, 0, world))
	for i := range 30 {
		must(c.Create("/app/seqs/s-", []byte{byte(i)}, zk.FlagSequence, world))
	}
	must(c.CreateContainer("/app/container", []byte("c"), zk.FlagContainer, world))
	for i := range 5 {
		must(c.Create(fmt.Sprintf("/app/container/c%d", i), nil, 0, world))
	}
	must(nil, c.Delete("/app/container/c0", -1))
	must(c.CreateTTL("/app/ttl", []byte("t"), zk.FlagTTL, world, 24*time.Hour))
	must(c.CreateTTL("/app/ttl-seq-", []byte("t"), zk.FlagPersistentSequentialWithTTL, world, 24*time.Hour))
	// Multis: one that applies, one that fails (an error transaction).
	_, err := c.Multi(
		&zk.CreateRequest{Path: "/app/multi", Data: []byte("m"), Acl: world},
		&zk.CreateRequest{Path: "/app/multi/a", Data: []byte("a"), Acl: aclKinds[2]},
		&zk.SetDataRequest{Path: "/app", Data: []byte("changed in a multi"), Version: -1},
		&zk.DeleteRequest{Path: "/app/seqs/s-0000000000", Version: -1},
	)
	must(nil, err)
	_, err = c.Multi(
		&zk.CreateRequest{Path: "/app/never", Acl: world},
		&zk.CheckVersionRequest{Path: "/app", Version: 42},
	)
	if !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("failed multi: %v", err)
	}
	must(c.Set("/quota-me", []byte("counted"), -1))
	for i := range 20 {
		must(c.Create(fmt.Sprintf("/quota-me/n%d", i), []byte("quota"), 0, world))
	}
}

// fillDir makes /app/dN with perDir children of varied data and ACLs, then
// rewrites, re-ACLs and deletes some of them.
func fillDir(c *zk.Conn, d, perDir int, aclKinds [][]zk.ACL) error {
	rnd := rand.New(rand.NewPCG(uint64(d), 1))
	dir := fmt.Sprintf("/app/d%d", d)
	if _, err := c.Create(dir, []byte(dir), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return err
	}
	for i := range perDir {
		data := make([]byte, rnd.IntN(2000))
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
		acl := aclKinds[rnd.IntN(len(aclKinds))]
		p := fmt.Sprintf("%s/n%04d", dir, i)
		if _, err := c.Create(p, data, 0, acl); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		switch i % 7 {
		case 1:
			if _, err := c.Set(p, data[:len(data)/2], -1); err != nil {
				return err
			}
			if _, err := c.Set(p, nil, -1); err != nil {
				return err
			}
		case 2:
			if _, err := c.SetACL(p, aclKinds[(i+1)%len(aclKinds)], -1); err != nil {
				return err
			}
		case 3:
			if err := c.Delete(p, -1); err != nil {
				return err
			}
		case 4:
			if _, err := c.Create(p+"/child", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				return err
			}
		}
	}
	return nil
}
