// Command manager runs the zkensemble operator: the ZKEnsemble controller,
// the admission webhook and its certificates, with leader election.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/controllers"
	zkwebhook "github.com/zkensemble/zkensemble/internal/webhook"
	"github.com/zkensemble/zkensemble/pkg/membership"
	"github.com/zkensemble/zkensemble/pkg/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		metricsAddr, probeAddr, certDir, certManagement, webhookService, webhookConfig, certSecret string
		serverImage, clusterDomain, crashAfter                                                     string
		memberCertValidity                                                                         time.Duration
		leaderElect, enableWebhook                                                                 bool
		webhookPort                                                                                int
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint (0 disables it)")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	flag.BoolVar(&leaderElect, "leader-elect", false, "elect one active manager among replicas")
	flag.BoolVar(&enableWebhook, "enable-webhook", true, "serve the admission webhook")
	flag.IntVar(&webhookPort, "webhook-port", 9443, "port of the admission webhook")
	flag.StringVar(&certDir, "cert-dir", "/tmp/k8s-webhook-server/serving-certs", "directory of the webhook's serving certificate (tls.crt, tls.key)")
	flag.StringVar(&certManagement, "cert-management", "internal", "internal: the manager creates, rotates and injects its webhook certificate, and writes it to --cert-dir itself; external: cert-manager (or you) mount it in --cert-dir")
	flag.StringVar(&webhookService, "webhook-service", "zkensemble-webhook-service", "name of the webhook's Service (for the certificate's DNS name)")
	flag.StringVar(&webhookConfig, "webhook-config", "zkensemble-validating-webhook-configuration", "name of the ValidatingWebhookConfiguration whose caBundle the manager fills (internal certificates)")
	flag.StringVar(&certSecret, "cert-secret", "zkensemble-webhook-server-cert", "Secret that holds the internal CA and certificate")
	flag.StringVar(&serverImage, "server-image", "zkensemble/server:dev", "image of the zkensemble server for ensembles whose spec names none")
	flag.StringVar(&clusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain")
	flag.StringVar(&crashAfter, "crash-after-step", "", "tests only: exit the process right after carrying out a step of these comma-separated actions (AddLearner,Promote,RemoveMember,...) to prove that a restarted manager resumes")
	flag.DurationVar(&memberCertValidity, "member-certificate-validity", 365*24*time.Hour, "how long member certificates are valid; they are renewed with a third left (tests shorten it to watch rotation)")
	opts := zap.Options{}
	showVersion := flag.Bool("version", false, "print the version and exit")
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	if *showVersion {
		version.Print(os.Stdout, "manager")
		return nil
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")
	// The Go memory limit at 90% of the pod's memory limit, if it has one
	// (GOMEMLIMIT in the environment wins), as the server does.
	if limit, err := memlimit.Set(memlimit.WithRatio(0.9)); err != nil {
		log.Info("Go memory limit left as it was", "err", err.Error())
	} else {
		log.Info("Go memory limit", "bytes", limit)
	}

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(zkv1.AddToScheme(scheme))
	namespace := os.Getenv("POD_NAMESPACE")
	if namespace == "" {
		namespace = "zkensemble-system"
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: probeAddr,
		LeaderElection:         leaderElect,
		LeaderElectionID:       "zkensemble-operator.zookeeper.zkensemble.io",
		WebhookServer:          webhook.NewServer(webhook.Options{Port: webhookPort, CertDir: certDir}),
	})
	if err != nil {
		return err
	}
	rec := &controllers.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("zkensemble-operator"), ServerImage: serverImage,
		OperatorNamespace: namespace, MemberCertValidity: memberCertValidity, ClusterDomain: clusterDomain}
	if crashAfter != "" {
		crash := map[membership.Action]bool{}
		for _, a := range strings.Split(crashAfter, ",") {
			crash[membership.Action(strings.TrimSpace(a))] = true
		}
		rec.Failpoint = func(a membership.Action) error {
			if crash[a] {
				log.Info("crash-after-step: exiting after a step, as asked", "action", a)
				os.Exit(3)
			}
			return nil
		}
	}
	if err := rec.SetupWithManager(mgr); err != nil {
		return err
	}
	if err := setupBackups(mgr, serverImage, clusterDomain); err != nil {
		return err
	}

	certsReady := make(chan struct{})
	if enableWebhook {
		switch certManagement {
		case "internal":
			err = rotator.AddRotator(scopeWebhookListing(mgr, webhookConfig), &rotator.CertRotator{
				SecretKey:      types.NamespacedName{Namespace: namespace, Name: certSecret},
				CertDir:        certDir,
				CAName:         "zkensemble-ca",
				CAOrganization: "zkensemble",
				DNSName:        fmt.Sprintf("%s.%s.svc", webhookService, namespace),
				ExtraDNSNames:  []string{fmt.Sprintf("%s.%s.svc.%s", webhookService, namespace, clusterDomain)},
				IsReady:        certsReady,
				Webhooks:       []rotator.WebhookInfo{{Name: webhookConfig, Type: rotator.Validating}},
				// Every replica needs the files; only the leader writes the Secret.
				RequireLeaderElection: false,
			})
			if err != nil {
				return err
			}
			if err := mgr.Add(&certFiles{reader: mgr.GetAPIReader(), secret: types.NamespacedName{Namespace: namespace, Name: certSecret}, dir: certDir}); err != nil {
				return err
			}
		case "external":
			close(certsReady)
		default:
			return errors.New("--cert-management must be internal or external")
		}
		// Register the webhook only once its certificate is in place.
		go func() {
			<-certsReady
			if err := zkwebhook.Setup(mgr); err != nil {
				log.Error(err, "webhook setup")
				os.Exit(1)
			}
		}()
		if err := mgr.AddReadyzCheck("webhook", func(req *http.Request) error {
			select {
			case <-certsReady:
				return mgr.GetWebhookServer().StartedChecker()(req)
			default:
				return errors.New("webhook certificate not ready")
			}
		}); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	log.Info("starting manager", "serverImage", serverImage, "webhook", enableWebhook, "certManagement", certManagement)
	return mgr.Start(ctrl.SetupSignalHandler())
}
