// Command zkcli is a small ZooKeeper command-line client, shipped in the
// server image next to the server (as zkCli.sh ships with ZooKeeper) so
// that a pod can talk to the ensemble: kubectl exec <pod> -- /zkcli ls /.
// Each invocation is one session and one command; its output is one line
// per result, for scripts and tests to read.
//
// A member answers reads from what it has applied, so a fresh session on a
// follower may not yet see a write another client just had acknowledged
// (ZooKeeper promises the same). -sync sends ZooKeeper's sync first, in the
// same session, so the command sees every write acknowledged before it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/zkensemble/zkensemble/pkg/version"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

const usage = `usage: zkcli [-version] [-server host:port,...] [-timeout 10s] [-sync] [TLS and SASL flags] COMMAND [ARGS]

  -sync                      sync the connected server with the leader before
                             the command, so it sees every write acknowledged
                             to any client before zkcli started

commands:
  ls PATH                    children of PATH, one per line
  get PATH                   data of PATH
  stat PATH                  czxid, mzxid, version, owner and size of PATH
  create [-e] [-s] PATH [DATA]
                             create PATH (-e ephemeral: gone when zkcli exits; -s sequential)
  set PATH DATA              replace the data of PATH
  delete PATH                delete PATH (any version)
  sync PATH                  wait until the connected server is up to date for PATH
  config                     the ensemble's configuration (/zookeeper/config)
  watch [-for 30s] PATH      set a data watch on PATH, print "watching PATH",
                             then wait for one event and print it
  whereami                   the session id and the server it is connected to
  whoami                     the session's authenticated ids, one scheme:id a line
` + securityUsage

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkcli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	server := fs.String("server", "localhost:2181", "connect string: host:port[,host:port...][/chroot]")
	timeout := fs.Duration("timeout", 10*time.Second, "session timeout, and the bound on each request")
	syncFirst := fs.Bool("sync", false, "sync the connected server with the leader before the command")
	sec := addSecurityFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		version.Print(stdout, "zkcli")
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	cmd, ok := commands[fs.Arg(0)]
	if !ok {
		fmt.Fprintf(stderr, "zkcli: unknown command %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	cmdArgs := fs.Args()[1:]
	opts, err := sec.options()
	if err != nil {
		fmt.Fprintf(stderr, "zkcli: %v\n", err)
		return 2
	}
	opts = append(opts, zkclient.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	c, err := zkclient.Connect(*server, *timeout, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "zkcli: connect %s: %v\n", *server, err)
		return 1
	}
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *syncFirst {
		// The session's requests are answered in order: the command runs
		// after the sync, on a server caught up with the leader.
		if err := c.Sync(ctx, "/"); err != nil {
			fmt.Fprintf(stderr, "zkcli: sync before %s: %v\n", fs.Arg(0), err)
			return 1
		}
	}
	if err := cmd(ctx, c, cmdArgs, stdout); err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "zkcli %s: %v\n", fs.Arg(0), err)
			return 2
		}
		fmt.Fprintf(stderr, "zkcli %s: %v\n", fs.Arg(0), err)
		return 1
	}
	return 0
}
