package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const chart = "../../charts/zkensemble-operator"

// tool finds a binary: $ENV, then the repository's bin/, then the local
// cluster's build cache.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	cands := []string{os.Getenv(env), filepath.Join("..", "..", "bin", name)}
	if cache, err := os.UserCacheDir(); err == nil {
		cands = append(cands, filepath.Join(cache, "zkensemble", "localcluster", "bin", name))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if abs, err := filepath.Abs(c); err == nil {
			if _, err := os.Stat(abs); err == nil {
				return abs
			}
		}
	}
	if os.Getenv("ZKE_REQUIRE_ENVTEST") != "" {
		t.Fatalf("%s not found (set %s or run `make tools envtest-assets`)", name, env)
	}
	t.Skipf("%s not found (run `make tools envtest-assets`; `make test` sets ZKE_REQUIRE_ENVTEST and fails instead)", name)
	return ""
}

func run(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		t.Logf("%s %s failed", filepath.Base(bin), strings.Join(args, " "))
		// Only what the tool said: callers match on its message.
		return out.String(), fmt.Errorf("%w: %s", err, errb.String())
	}
	return out.String(), nil
}

func TestHelmLintStrict(t *testing.T) {
	helm := tool(t, "HELM", "helm")
	out, err := run(t, helm, "lint", "--strict", chart)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out)
	for _, set := range []string{"webhook.certManager.enabled=true", "webhook.enabled=false", "metrics.serviceMonitor.enabled=true",
		"monitoring.prometheusRule.enabled=true", "monitoring.dashboard.enabled=true"} {
		if _, err := run(t, helm, "lint", "--strict", chart, "--set", set); err != nil {
			t.Errorf("with %s: %v", set, err)
		}
	}
}

func TestHelmValuesSchemaIsStrict(t *testing.T) {
	helm := tool(t, "HELM", "helm")
	tests := []struct{ set, want string }{
		{"replicaCount=0", "replicaCount"},
		{"webhok.enabled=false", "webhok"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"webhook.failurePolicy=Maybe", "failurePolicy"},
	}
	for _, tc := range tests {
		_, err := run(t, helm, "template", "x", chart, "--set", tc.set)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: %v; want a schema error naming %s", tc.set, err, tc.want)
		}
	}
}

func TestHelmRenders(t *testing.T) {
	helm := tool(t, "HELM", "helm")
	tests := []struct {
		name    string
		sets    []string
		want    []string
		notWant []string
	}{
		{"defaults: in-process certificates", nil,
			[]string{"kind: ValidatingWebhookConfiguration", "--cert-management=internal", "kind: Secret", "--cert-secret=zke-zkensemble-operator-webhook-cert", "emptyDir: {medium: Memory", "zkensemble/server:dev", "--leader-elect=true",
				// The manager may touch its own webhook configuration only.
				"resourceNames:\n    - zke-zkensemble-operator-validating\n    resources:\n    - validatingwebhookconfigurations"},
			// (The manager's ClusterRole names cert-manager.io Certificates, which
			// it makes for ensembles with spec.tls.issuerRef.)
			[]string{"apiVersion: cert-manager.io", "cert-manager.io/inject-ca-from"}},
		{"cert-manager", []string{"webhook.certManager.enabled=true"},
			[]string{"kind: Certificate", "cert-manager.io/inject-ca-from", "kind: Issuer", "--cert-management=external", "secretName: zke-zkensemble-operator-webhook-cert"},
			[]string{"kind: Secret\n"}},
		{"no webhook", []string{"webhook.enabled=false"}, []string{"--enable-webhook=false"}, []string{"ValidatingWebhookConfiguration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"template", "zke", chart, "--namespace", "zke-system"}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			out, err := run(t, helm, args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("rendering lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("rendering has %q", w)
				}
			}
		})
	}
}

// TestInstallDryRun applies what the chart and config/default render to a
// real API server (server-side dry run, CRDs applied for real first).
func TestInstallDryRun(t *testing.T) {
	helm := tool(t, "HELM", "helm")
	kubectl := tool(t, "KUBECTL", "kubectl")
	c := startAPIServer(t)
	chartOut, err := run(t, helm, "template", "zke", chart, "--namespace", "zke-system", "--include-crds")
	if err != nil {
		t.Fatal(err)
	}
	kustOut, err := run(t, kubectl, "kustomize", "../../config/default")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, manifests, ns string }{{"helm chart", chartOut, "zke-system"}, {"config/default", kustOut, "zkensemble-system"}} {
		t.Run(tc.name, func(t *testing.T) {
			objs := decode(t, tc.manifests)
			kinds := map[string]int{}
			ctx := context.Background()
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tc.ns}}
			if err := c.Create(ctx, ns); err != nil && !strings.Contains(err.Error(), "already exists") {
				t.Fatal(err)
			}
			// CRDs for real (the dry run of a ZKEnsemble-typed object would need them).
			for _, o := range objs {
				if o.GetKind() == "CustomResourceDefinition" {
					if err := c.Patch(ctx, o.DeepCopy(), client.Apply, client.FieldOwner("install-test"), client.ForceOwnership); err != nil { //nolint:staticcheck
						t.Fatalf("CRD %s: %v", o.GetName(), err)
					}
				}
			}
			for _, o := range objs {
				kinds[o.GetKind()]++
				if o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition" {
					continue
				}
				if err := c.Patch(ctx, o, client.Apply, client.DryRunAll, client.FieldOwner("install-test"), client.ForceOwnership); err != nil { //nolint:staticcheck
					t.Errorf("%s %s: %v", o.GetKind(), o.GetName(), err)
				}
			}
			for _, k := range []string{"CustomResourceDefinition", "Deployment", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount", "Service", "ValidatingWebhookConfiguration", "Secret"} {
				if kinds[k] == 0 {
					t.Errorf("no %s rendered", k)
				}
			}
			t.Logf("%d objects accepted: %v", len(objs), kinds)
		})
	}
}

func decode(t *testing.T, manifests string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

func startAPIServer(t *testing.T) client.Client {
	t.Helper()
	if os.Getenv("TEST_ASSET_KUBE_APISERVER") == "" {
		os.Setenv("TEST_ASSET_KUBE_APISERVER", tool(t, "TEST_ASSET_KUBE_APISERVER", "kube-apiserver"))
	}
	if os.Getenv("TEST_ASSET_ETCD") == "" {
		os.Setenv("TEST_ASSET_ETCD", "/usr/bin/etcd")
	}
	te := &envtest.Environment{}
	cfg, err := te.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = te.Stop() })
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = apiextensionsv1.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
