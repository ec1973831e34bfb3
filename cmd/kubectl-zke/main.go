// Command kubectl-zke is the kubectl plugin for zkensemble (`kubectl zke`):
// the status of a ZKEnsemble as the operator and its members see it, a
// leadership switchover, a rolling restart and an on-demand backup. It talks
// only to the API server: the ZKEnsemble and ZKBackup objects, and the
// members' public admin commands (srvr) through the API server's pod proxy.
// Switchover and restart are annotations the operator carries out with its
// own steps (api/v1alpha1's zkensemble_operations.go), so they keep the
// quorum and the clients' sessions.
//
//	main.go        flags, kubeconfig, dispatch
//	status.go      reading the ensemble, its pods and each member's srvr
//	print.go       the status and backup as text
//	operations.go  switchover and restart (annotations, and the wait)
//	backup.go      a ZKBackup for the ensemble
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zkensemble/zkensemble/pkg/version"
)

const usage = `kubectl zke: operate zkensemble ZooKeeper ensembles.

Usage:
  kubectl zke status NAME                 members, roles, zxids, lag, the published server list, conditions
  kubectl zke switchover NAME --to ID     hand leadership to member ID (waits until it leads)
  kubectl zke restart NAME                rolling restart: followers first, the leader last after a handover
  kubectl zke backup NAME [--wait]        create a ZKBackup of the ensemble (destination: the ensemble's
                                          spec.backup, or --s3-bucket/--pvc)
  kubectl zke version                     (or --version)

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are every command's flags (one flag set: kubectl's flags may come
// before or after the command).
type options struct {
	loading   *clientcmd.ClientConfigLoadingRules
	overrides clientcmd.ConfigOverrides
	to        uint8
	wait      bool
	timeout   time.Duration
	dest      destinationFlags
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("kubectl-zke", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	o := &options{loading: clientcmd.NewDefaultClientConfigLoadingRules()}
	fs.StringVar(&o.loading.ExplicitPath, "kubeconfig", "", "path to the kubeconfig file")
	clientcmd.BindOverrideFlags(&o.overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	fs.Uint8Var(&o.to, "to", 0, "switchover: the member id to hand leadership to")
	fs.BoolVar(&o.wait, "wait", true, "switchover, restart, backup: wait until the operation is done")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long --wait waits")
	o.dest.bind(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kubectl zke:", err)
		return 2
	}
	if *showVersion || fs.NArg() == 1 && fs.Arg(0) == "version" {
		version.Print(stdout, "kubectl-zke")
		return 0
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	cmd, name := fs.Arg(0), fs.Arg(1)
	do, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "kubectl zke: unknown command %q\n", cmd)
		fs.Usage()
		return 2
	}
	k, err := o.connect()
	if err != nil {
		fmt.Fprintln(stderr, "kubectl zke:", err)
		return 1
	}
	if err := do(ctx, k, o, name, stdout); err != nil {
		fmt.Fprintf(stderr, "kubectl zke %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

var commands = map[string]func(ctx context.Context, k *kube, o *options, name string, out io.Writer) error{
	"status":     statusCmd,
	"switchover": switchoverCmd,
	"restart":    restartCmd,
	"backup":     backupCmd,
}

// connect builds the clients from the kubeconfig and kubectl's flags.
func (o *options) connect() (*kube, error) {
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(o.loading, &o.overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &kube{ns: ns, cs: cs, c: c}, nil
}
