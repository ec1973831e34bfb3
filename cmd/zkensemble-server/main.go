// Command zkensemble-server runs the ZooKeeper-compatible server. Like
// ZooKeeper's QuorumPeerMain it takes a zoo.cfg path as its argument; flags
// with the same key names override the file, so ZooKeeper scripts start it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/zkensemble/zkensemble/pkg/ensemble"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
	"github.com/zkensemble/zkensemble/pkg/version"
)

// keys that can be given as flags, with zoo.cfg's names.
var flagKeys = []string{
	"tickTime", "minSessionTimeout", "maxSessionTimeout", "clientPort", "clientPortAddress", "dataDir",
	"dataLogDir", "maxClientCnxns", "4lw.commands.whitelist", "jute.maxbuffer", "initLimit", "syncLimit",
	"autopurge.snapRetainCount", "autopurge.purgeInterval", "reconfigEnabled", "standaloneEnabled",
	"admin.serverAddress", "admin.serverPort", "superDigest", "extendedTypesEnabled", "znode.container.checkIntervalMs",
	"admin.tokenFile", "metricsProvider.httpHost", "metricsProvider.httpPort",
	"secureClientPort", "secureClientPortAddress", "jaasLoginConfig", "sasl.usersDir", "readonlymode.enabled",
}

func main() {
	run := run
	if len(os.Args) > 1 {
		if sc, ok := subcommands[os.Args[1]]; ok {
			run = func([]string) error { return sc.run(os.Args[2:]) }
		}
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "zkensemble-server:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], os.Stdout)
	}
	// With one P (a pod limited to one CPU gets GOMAXPROCS=1), the Raft loop
	// sitting in fdatasync stalls every connection goroutine: p99 of writes
	// went from 10 ms to 88 ms (docs/benchmarks.md). Two Ps keep reading and
	// replying while the WAL syncs.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	fs := flag.NewFlagSet("zkensemble-server", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: zkensemble-server [flags] [zoo.cfg]\n")
		fmt.Fprintf(fs.Output(), "       zkensemble-server import SRC DST   (from an Apache ZooKeeper dataDir; import -h)\n")
		fmt.Fprintf(fs.Output(), "\nFlags use zoo.cfg key names and override the file:\n")
		fs.PrintDefaults()
		subcommandUsage(fs.Output())
	}
	values := map[string]*string{}
	for _, k := range flagKeys {
		values[k] = fs.String(k, "", "zoo.cfg "+k)
	}
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	ensembleID := fs.String("ensemble-id", "default", "identity of the ensemble, stamped into dataDir; a dataDir stamped for another ensemble or member is refused")
	join := fs.Bool("join", false, "start empty and wait to be added as a learner by the leader (server.N lines list the members to reach)")
	faults := fs.Bool("fault-injection", false, "serve /debug/partition and /debug/heal on the admin listener (tests only)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:6060); off when empty")
	podDomain := fs.String("pod-domain", "", "run as a StatefulSet pod reached at <hostname>.<pod-domain>: id from the pod ordinal + 1; an empty volume joins (or bootstraps if listed in --bootstrap-file); stale state is moved aside")
	bootstrapFile := fs.String("bootstrap-file", "", "with --pod-domain: file listing the member ids that bootstrap a new ensemble")
	observer := fs.Bool("observer", false, "with --pod-domain: a pod of the observers' StatefulSet <name>-observer: id 128 + ordinal, always joins as a learner, never promoted")
	tlsDir := fs.String("tls-dir", "", "with --pod-domain: directory of the member certificates (ca.crt, member-<id>.crt and .key): mutual TLS between members and HTTPS on the admin port")
	forceNew := fs.String("force-new-cluster", "", "<ensemble-id>/<member-id>/<nonce>: rebuild the ensemble from this member's log after losing a majority (it becomes the only voter; done once per nonce, see docs/operations.md)")
	forceNewFile := fs.String("force-new-cluster-file", "", "with --pod-domain: file holding a --force-new-cluster request; carried out only by the member it names")
	showVersion := fs.Bool("version", false, "print the version and exit")
	myid := fs.Uint64("myid", 0, "this member's id in the server.N lines (default: the myid file in dataDir)")
	// Go's flag package stops at the first positional argument; allow the
	// zoo.cfg path before or after the flags.
	var cfgPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfgPath, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		version.Print(os.Stdout, "zkensemble-server")
		return nil
	}
	if fs.NArg() > 0 {
		if cfgPath != "" || fs.NArg() > 1 {
			return fmt.Errorf("one zoo.cfg path expected, got %v", append([]string{cfgPath}, fs.Args()...))
		}
		cfgPath = fs.Arg(0)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	setMemoryLimit(logger, memlimit.FromCgroup)
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr, logger); err != nil {
			return err
		}
	}

	cfg := sessionserver.DefaultConfig()
	if cfgPath != "" {
		var err error
		if cfg, err = sessionserver.ParseConfigFile(cfgPath); err != nil {
			return err
		}
	}
	var setErr error
	fs.Visit(func(f *flag.Flag) {
		if v, ok := values[f.Name]; ok && setErr == nil {
			setErr = cfg.Set(f.Name, *v)
		}
	})
	if setErr != nil {
		return setErr
	}
	if keys := cfg.ExtraKeys(); len(keys) > 0 {
		logger.Info("configuration keys not used by this server", "keys", keys)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts := []sessionserver.Option{sessionserver.WithLogger(logger), sessionserver.WithEnsembleID(*ensembleID)}
	if cfg.DataDir != "" {
		mf := memberFlags{myid: *myid, ensembleID: *ensembleID, join: *join, faults: *faults,
			podDomain: *podDomain, bootstrapFile: *bootstrapFile, tlsDir: *tlsDir,
			forceNewCluster: *forceNew, forceNewClusterFile: *forceNewFile, observer: *observer}
		if mf.podDomain != "" {
			if err := podMember(&cfg, &mf, logger); err != nil {
				return err
			}
		}
		member, err := startMember(ctx, cfg, mf, logger)
		if err != nil {
			return err
		}
		defer member.node.Stop()
		opts = append(opts, member.options...)
		srv, err := sessionserver.New(cfg, opts...)
		if err != nil {
			return err
		}
		if err := member.run(ctx, srv); err != nil {
			return err
		}
		// A member whose log stops (a storage failure, a rejoin that needs a
		// restart) exits, so its supervisor restarts it. A member removed
		// from the configuration stays up, serving nothing, until it is
		// stopped (ZooKeeper's removed server stays up too; the operator
		// deletes or restarts its pod).
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-member.node.Done():
				if errors.Is(member.node.Err(), ensemble.ErrRemoved) {
					logger.Warn("this member was removed from the ensemble: serving nothing until it is stopped")
					return
				}
				cancel()
			case <-mctx.Done():
			}
		}()
		// Stopped by a signal (a pod deleted, a node drained), a leader first
		// hands its office to a caught-up voter, so the others need not wait
		// out an election timeout before clients can write again.
		stepDown := func() {
			if ctx.Err() == nil || !member.node.IsLeader() {
				return
			}
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := member.node.StepDown(sctx); err != nil {
				logger.Warn("could not hand leadership over before stopping", "err", err)
				return
			}
			logger.Info("handed leadership over before stopping", "leader", member.node.Leader())
		}
		if err := serve(mctx, srv, logger, stepDown); err != nil {
			return err
		}
		if ctx.Err() == nil {
			if err := member.node.Err(); err != nil {
				return err
			}
			return errors.New("the member's log stopped")
		}
		return nil
	}
	srv, err := sessionserver.New(cfg, opts...)
	if err != nil {
		return err
	}
	return serve(ctx, srv, logger, nil)
}

// serve runs srv until ctx ends, then calls beforeClose (if any) and closes it.
func serve(ctx context.Context, srv *sessionserver.Server, logger *slog.Logger, beforeClose func()) error {
	if err := srv.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if beforeClose != nil {
		beforeClose()
	}
	return srv.Close()
}
