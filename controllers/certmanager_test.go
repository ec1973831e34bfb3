package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// certManagerVersion is the cert-manager release whose Certificate CRD the
// test installs, fetched through the Go module proxy (its deploy/crds).
const certManagerVersion = "v1.21.2"

// certManagerCRD downloads cert-manager's module and returns the path of its
// Certificate CRD.
func certManagerCRD(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/cert-manager/cert-manager@"+certManagerVersion).Output()
	if err != nil {
		t.Fatalf("go mod download cert-manager %s: %v", certManagerVersion, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %s %v %s", out, err, mod.Error)
	}
	path := filepath.Join(mod.Dir, "deploy", "crds", "cert-manager.io_certificates.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCertManagerIssuer: with spec.tls.issuerRef the operator asks
// cert-manager for the secure client port's certificate. Without
// cert-manager the ensemble says so; with its CRD the Certificate is made
// (the client Service's and members' names, a CombinedPEM output); the
// members are rendered once cert-manager's Secret holds the files.
func TestCertManagerIssuer(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "cm", func(z *zkv1.ZKEnsemble) {
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSRequired, ClientAuth: zkv1.ClientCertNeed,
			IssuerRef: &zkv1.IssuerRef{Name: "corp-ca", Kind: "ClusterIssuer"}}
	})
	createZKE(t, zke)
	key := types.NamespacedName{Namespace: ns, Name: "cm"}
	degradedWith(t, key, "CertManagerMissing", "certificates.cert-manager.io is not installed")

	crds, err := envtest.InstallCRDs(testEnv.cfg, envtest.CRDInstallOptions{Paths: []string{certManagerCRD(t)}, ErrorIfPathMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = envtest.UninstallCRDs(testEnv.cfg, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crds[0]}})
	})
	cert := &unstructured.Unstructured{}
	cert.SetAPIVersion("cert-manager.io/v1")
	cert.SetKind("Certificate")
	eventually(t, 60*time.Second, func() error { return c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "cm-client-tls"}, cert) })
	spec := cert.Object["spec"].(map[string]any)
	issuer := spec["issuerRef"].(map[string]any)
	if spec["secretName"] != "cm-client-tls" || issuer["name"] != "corp-ca" || issuer["kind"] != "ClusterIssuer" {
		t.Errorf("Certificate spec %v", spec)
	}
	var dns []string
	for _, d := range spec["dnsNames"].([]any) {
		dns = append(dns, d.(string))
	}
	for _, want := range []string{fmt.Sprintf("cm-client.%s.svc.%s", ns, defaultClusterDomain), fmt.Sprintf("*.cm-peers.%s.svc.%s", ns, defaultClusterDomain)} {
		if !slices.Contains(dns, want) {
			t.Errorf("dnsNames %v lack %s", dns, want)
		}
	}
	if f, _ := json.Marshal(spec["additionalOutputFormats"]); string(f) != `[{"type":"CombinedPEM"}]` {
		t.Errorf("additionalOutputFormats %s", f)
	}
	if len(cert.GetOwnerReferences()) != 1 || cert.GetOwnerReferences()[0].UID != zke.UID {
		t.Errorf("owners %v", cert.GetOwnerReferences())
	}
	degradedWith(t, key, "SecretMissing", `Secret "cm-client-tls"`, "waiting for cert-manager")
	if err := c.Get(ctx, key, &appsv1.StatefulSet{}); err == nil {
		t.Fatal("a StatefulSet was rendered before cert-manager's Secret")
	}
	// What cert-manager writes (its controller does not run here).
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cm-client-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key"), "ca.crt": []byte("ca"), "tls-combined.pem": []byte("key+crt")}}); err != nil {
		t.Fatal(err)
	}
	sts := &appsv1.StatefulSet{}
	eventually(t, 30*time.Second, func() error { return stsScaled(ctx, key, sts) })
	if !slices.ContainsFunc(sts.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "cm-client-tls" }) {
		t.Errorf("cert-manager's Secret is not mounted: %v", sts.Spec.Template.Spec.Volumes)
	}
}
