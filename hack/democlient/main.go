// Command democlient is the demo's client session: it connects through the
// given address, creates an ephemeral znode, reads it back and lists the
// ensemble's configuration, as any ZooKeeper client would.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: democlient host:port")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "democlient:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	c, err := zkclient.Connect(addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path, _, err := c.Create(ctx, "/demo-", []byte("hello from the demo"), zkclient.EphemeralSequential, zkclient.WorldACL(wire.PermAll))
	if err != nil {
		return err
	}
	data, stat, err := c.Get(ctx, path)
	if err != nil {
		return err
	}
	fmt.Printf("session 0x%x on %s created ephemeral %s = %q (owner 0x%x, zxid 0x%x)\n", c.SessionID(), c.Server(), path, data, stat.EphemeralOwner, stat.Czxid)
	cfg, _, _, err := c.GetConfig(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("/zookeeper/config:\n%s\n", cfg)
	return nil
}
