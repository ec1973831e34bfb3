package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/zkensemble/zkensemble/pkg/wire"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// usageError is a command called with the wrong arguments (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

type command func(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error

var commands = map[string]command{
	"ls":       ls,
	"get":      get,
	"stat":     stat,
	"create":   create,
	"set":      set,
	"delete":   del,
	"sync":     syncPath,
	"config":   config,
	"watch":    watch,
	"whereami": whereami,
	"whoami":   whoami,
}

func onePath(args []string) (string, error) {
	if len(args) != 1 {
		return "", usageError("wants one PATH")
	}
	return args[0], nil
}

func ls(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	kids, _, err := c.Children(ctx, p)
	for _, k := range kids {
		fmt.Fprintln(out, k)
	}
	return err
}

func get(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	data, _, err := c.Get(ctx, p)
	if err == nil {
		fmt.Fprintln(out, string(data))
	}
	return err
}

func stat(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	_, s, err := c.Get(ctx, p)
	if err == nil {
		fmt.Fprintf(out, "czxid=0x%x mzxid=0x%x version=%d ephemeralOwner=0x%x dataLength=%d numChildren=%d\n",
			s.Czxid, s.Mzxid, s.Version, s.EphemeralOwner, s.DataLength, s.NumChildren)
	}
	return err
}

func create(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	eph := fs.Bool("e", false, "ephemeral")
	seq := fs.Bool("s", false, "sequential")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 || fs.NArg() > 2 {
		return usageError("wants [-e] [-s] PATH [DATA]")
	}
	var mode int32
	switch {
	case *eph && *seq:
		mode = zkclient.EphemeralSequential
	case *eph:
		mode = zkclient.Ephemeral
	case *seq:
		mode = zkclient.PersistentSequential
	}
	path, _, err := c.Create(ctx, fs.Arg(0), []byte(fs.Arg(1)), mode, zkclient.WorldACL(wire.PermAll))
	if err == nil {
		fmt.Fprintln(out, path)
	}
	return err
}

func set(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	if len(args) != 2 {
		return usageError("wants PATH DATA")
	}
	s, err := c.Set(ctx, args[0], []byte(args[1]), -1)
	if err == nil {
		fmt.Fprintf(out, "version=%d mzxid=0x%x\n", s.Version, s.Mzxid)
	}
	return err
}

func del(ctx context.Context, c *zkclient.Conn, args []string, _ io.Writer) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	return c.Delete(ctx, p, -1)
}

func syncPath(ctx context.Context, c *zkclient.Conn, args []string, _ io.Writer) error {
	p, err := onePath(args)
	if err != nil {
		return err
	}
	return c.Sync(ctx, p)
}

func config(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	if len(args) != 0 {
		return usageError("takes no arguments")
	}
	data, s, _, err := c.GetConfig(ctx)
	if err == nil {
		fmt.Fprintf(out, "%sversion=%x\n", data, s.Mzxid)
	}
	return err
}

// watch uses an exists watch, which is set whether or not PATH exists
// and fires on its creation, change or deletion.
func watch(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Duration("for", 30*time.Second, "how long to wait for the event")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return usageError("wants [-for DURATION] PATH")
	}
	_, ch, err := c.ExistsW(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "watching %s\n", fs.Arg(0))
	if f, ok := out.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	select {
	case ev := <-ch:
		if ev.Err != nil {
			return fmt.Errorf("the watch on %s ended: %w", fs.Arg(0), ev.Err)
		}
		fmt.Fprintf(out, "event %s %s\n", eventNames[ev.Type], ev.Path)
		return nil
	case <-time.After(*wait):
		return fmt.Errorf("no event on %s within %s", fs.Arg(0), *wait)
	}
}

// eventNames are ZooKeeper's names for watch events (Watcher.Event.EventType).
var eventNames = map[zkclient.EventType]string{
	wire.EventNodeCreated:         "NodeCreated",
	wire.EventNodeDeleted:         "NodeDeleted",
	wire.EventNodeDataChanged:     "NodeDataChanged",
	wire.EventNodeChildrenChanged: "NodeChildrenChanged",
}

func whereami(ctx context.Context, c *zkclient.Conn, args []string, out io.Writer) error {
	if len(args) != 0 {
		return usageError("takes no arguments")
	}
	// Connect returns before the session is established; a request waits for it.
	if err := c.Sync(ctx, "/"); err != nil {
		return err
	}
	fmt.Fprintf(out, "session 0x%x server %s\n", c.SessionID(), c.Server())
	return nil
}
