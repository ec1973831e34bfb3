package controllers

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	zkwebhook "github.com/zkensemble/zkensemble/internal/webhook"
)

// env is one API server (kube-apiserver + etcd, built from the Go module
// proxy by hack/localcluster/build.sh) shared by the tests of this package,
// with the operator's manager, controller and webhook running against it.
type env struct {
	cfg    *rest.Config
	client client.Client
	scheme *runtime.Scheme
	cancel context.CancelFunc
	te     *envtest.Environment
}

var testEnv *env

// assets finds the envtest binaries: TEST_ASSET_* if set, else the local
// cluster's build cache and Debian's etcd.
func assets() error {
	if os.Getenv("TEST_ASSET_KUBE_APISERVER") == "" {
		dir := os.Getenv("LC_DIR")
		if dir == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				return err
			}
			dir = filepath.Join(cache, "zkensemble", "localcluster")
		}
		os.Setenv("TEST_ASSET_KUBE_APISERVER", filepath.Join(dir, "bin", "kube-apiserver"))
	}
	if os.Getenv("TEST_ASSET_ETCD") == "" {
		os.Setenv("TEST_ASSET_ETCD", "/usr/bin/etcd")
	}
	for _, v := range []string{"TEST_ASSET_KUBE_APISERVER", "TEST_ASSET_ETCD"} {
		if _, err := os.Stat(os.Getenv(v)); err != nil {
			return fmt.Errorf("%s: %w (run `make envtest-assets`)", v, err)
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	if err := assets(); err != nil {
		if os.Getenv("ZKE_REQUIRE_ENVTEST") != "" {
			fmt.Fprintln(os.Stderr, "envtest:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the envtest suite:", err)
		os.Exit(m.Run())
	}
	e, err := startEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		os.Exit(1)
	}
	testEnv = e
	code := m.Run()
	stopBare()
	e.cancel()
	_ = e.te.Stop()
	os.Exit(code)
}

func startEnv() (*env, error) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	te := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: []string{filepath.Join("..", "config", "webhook", "manifests.yaml")}},
	}
	cfg, err := te.Start()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = zkv1.AddToScheme(scheme)
	wio := &te.WebhookInstallOptions
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Cache:   CacheOptions(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	if err != nil {
		return nil, err
	}
	if err := zkwebhook.Setup(mgr); err != nil {
		return nil, err
	}
	rec := &Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("zkensemble-operator"), ServerImage: "zkensemble/server:test",
		// No pods run under envtest: member addresses resolve nowhere.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, fmt.Errorf("no member at %s under envtest", addr)
		}}
	if err := rec.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := newBackupReconciler(mgr).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&ScheduleReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("zkensemble-operator")}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	// Wait for the webhook server to answer TLS.
	addr := net.JoinHostPort(wio.LocalServingHost, fmt.Sprint(wio.LocalServingPort))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a readiness probe
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, fmt.Errorf("webhook server at %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval until the deadline
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		cancel()
		return nil, err
	}
	return &env{cfg: cfg, client: c, scheme: scheme, cancel: cancel, te: te}, nil
}

func zapLevel() zapcore.Level {
	if os.Getenv("ZKE_TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// namespace creates a fresh namespace for one test (envtest never finishes
// deleting namespaces, so none is reused).
func namespace(t *testing.T) string {
	t.Helper()
	if testEnv == nil {
		t.Skip("envtest assets (kube-apiserver, etcd) not available: run `make envtest-assets`; `make test` sets ZKE_REQUIRE_ENVTEST and fails instead")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-test-"}}
	if err := testEnv.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// eventually polls f until it returns nil or the deadline passes.
func eventually(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", d, err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval until the deadline
	}
}
