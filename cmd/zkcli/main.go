// Command zkcli is a small ZooKeeper command-line client, shipped in the
// server image next to the server (as zkCli.sh ships with ZooKeeper) so
// that a pod can talk to the ensemble: kubectl exec <pod> -- /zkcli ls /.
// Each invocation is one session and one command; its output is one line
// per result, for scripts and tests to read.
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

	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

const usage = `usage: zkcli [-server host:port,...] [-timeout 10s] COMMAND [ARGS]

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
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkcli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	server := fs.String("server", "localhost:2181", "connect string: host:port[,host:port...][/chroot]")
	timeout := fs.Duration("timeout", 10*time.Second, "session timeout, and the bound on each request")
	if err := fs.Parse(args); err != nil {
		return 2
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
	c, err := zkclient.Connect(*server, *timeout, zkclient.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Fprintf(stderr, "zkcli: connect %s: %v\n", *server, err)
		return 1
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
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
