//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// cluster is the cluster under test and the tools that reach it.
type cluster struct {
	kubeconfig, kubectl, helm string
	c                         client.Client
	cs                        kubernetes.Interface
	root                      string // repository root
	managerImage, serverImage string // repository:tag
}

var k *cluster

func TestMain(m *testing.M) {
	// On the host, KUBECONFIG names the cluster; in a pod (hack/e2e.sh with
	// E2E_IN_CLUSTER=1), the service account's in-cluster configuration is
	// used, by this binary and by the kubectl and helm it runs.
	kc := os.Getenv("KUBECONFIG")
	inCluster := kc == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	if kc == "" && !inCluster {
		fmt.Fprintln(os.Stderr, "e2e: KUBECONFIG must point at the cluster under test (make e2e sets it)")
		os.Exit(1)
	}
	// The local cluster's DNS answers for pod names; clients on the host
	// resolve the published server list through it.
	if dns := os.Getenv("E2E_CLUSTER_DNS"); dns != "" {
		var d net.Dialer
		net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, dns)
		}}
	}
	var cfg *rest.Config
	var err error
	if inCluster {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", kc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = zkv1.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	root, _ := filepath.Abs(envOr("E2E_ROOT", "../.."))
	k = &cluster{
		kubeconfig: kc, c: c, cs: kubernetes.NewForConfigOrDie(cfg), root: root,
		kubectl:      envOr("KUBECTL", "kubectl"),
		helm:         envOr("HELM", filepath.Join(root, "bin", "helm")),
		managerImage: envOr("MANAGER_IMAGE", "docker.io/zkensemble/manager:dev"),
		serverImage:  envOr("SERVER_IMAGE", "docker.io/zkensemble/server:dev"),
	}
	os.Exit(m.Run())
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// run executes a tool against the cluster; stdin may be "".
func (k *cluster) run(t *testing.T, stdin, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.kubeconfig)
	cmd.Dir = k.root
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func (k *cluster) must(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := k.run(t, "", bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eventually polls f every interval until it returns nil or d passes.
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
		time.Sleep(250 * time.Millisecond) // poll interval until the deadline
	}
}

func splitImage(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	return ref[:i], ref[i+1:]
}

// helmInstall installs (or upgrades) the operator with the chart.
func (k *cluster) helmInstall(t *testing.T, extra ...string) {
	t.Helper()
	mrepo, mtag := splitImage(k.managerImage)
	srepo, stag := splitImage(k.serverImage)
	args := []string{"upgrade", "--install", "zke", "charts/zkensemble-operator", "--namespace", operatorNS, "--create-namespace",
		"--set", "image.repository=" + mrepo, "--set", "image.tag=" + mtag, "--set", "image.pullPolicy=IfNotPresent",
		"--set", "serverImage.repository=" + srepo, "--set", "serverImage.tag=" + stag,
		// Member certificates live 6 minutes: every ensemble of the suite
		// rotates them (every 4 minutes) while the scenarios run.
		"--set", "extraArgs[0]=--member-certificate-validity=" + certValidity.String(),
		"--wait", "--timeout", "3m"}
	k.must(t, k.helm, append(args, extra...)...)
	k.waitOperator(t)
}

const operatorNS = "zkensemble-system"

// certValidity is the member certificates' lifetime the suite's operator
// issues (renewed with a third left; the kubelet takes up to a minute or so
// to update a Secret volume, well within the rest).
const certValidity = 6 * time.Minute

// waitOperator waits until a manager pod is ready and its webhook answers
// (a dry-run create goes through it).
func (k *cluster) waitOperator(t *testing.T) {
	t.Helper()
	eventually(t, 2*time.Minute, func() error {
		_, err := k.run(t, sampleYAML("probe", "default", 1, ""), k.kubectl, "apply", "--dry-run=server", "-f", "-")
		return err
	})
}

func (k *cluster) managerPods(t *testing.T) []corev1.Pod {
	t.Helper()
	var pods corev1.PodList
	if err := k.c.List(context.Background(), &pods, client.InNamespace(operatorNS), client.MatchingLabels{"app.kubernetes.io/name": "zkensemble-operator"}); err != nil {
		t.Fatal(err)
	}
	return pods.Items
}

func sampleYAML(name, ns string, replicas int, extraSpec string) string {
	return fmt.Sprintf(`apiVersion: zookeeper.zkensemble.io/v1alpha1
kind: ZKEnsemble
metadata:
  name: %s
  namespace: %s
spec:
  replicas: %d
  tickTime: 2000
  storage:
    size: 100Mi
    # The local cluster's hostPath volumes ignore fsGroup.
    volumePermissions: true
%s`, name, ns, replicas, extraSpec)
}
