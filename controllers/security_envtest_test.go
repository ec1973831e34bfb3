package controllers

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// degradedWith waits until the ensemble is Degraded with reason and a
// message containing every one of want.
func degradedWith(t *testing.T, key types.NamespacedName, reason string, want ...string) {
	t.Helper()
	eventually(t, 20*time.Second, func() error {
		z := &zkv1.ZKEnsemble{}
		if err := testEnv.client.Get(context.Background(), key, z); err != nil {
			return err
		}
		c := meta.FindStatusCondition(z.Status.Conditions, CondDegraded)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != reason {
			return fmt.Errorf("conditions %+v", z.Status.Conditions)
		}
		for _, w := range want {
			if !strings.Contains(c.Message, w) {
				return fmt.Errorf("message %q lacks %q", c.Message, w)
			}
		}
		return nil
	})
}

// warningEvent waits for a Warning event with reason about the ensemble.
func warningEvent(t *testing.T, ns, name, reason string) {
	t.Helper()
	eventually(t, 20*time.Second, func() error {
		var evs eventsv1.EventList
		if err := testEnv.client.List(context.Background(), &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Regarding.Name == name && e.Type == corev1.EventTypeWarning && e.Reason == reason {
				return nil
			}
		}
		return fmt.Errorf("no %s event", reason)
	})
}

// TestMissingSecrets: a SASL users Secret or a super digest key that does
// not exist holds the StatefulSet back (no pod would start) with a
// condition and an event naming the Secret and the key; once they exist,
// the members are rendered with them.
func TestMissingSecrets(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "auth", func(z *zkv1.ZKEnsemble) {
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSRequired}
		z.Spec.Auth = zkv1.AuthSpec{SASLUsersSecret: "zk-users", Required: []zkv1.AuthScheme{"sasl"},
			SuperDigest: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "zk-super"}, Key: "digest"}}
	})
	createZKE(t, zke)
	key := types.NamespacedName{Namespace: ns, Name: "auth"}
	degradedWith(t, key, "SecretMissing", `Secret "zk-users"`, "spec.auth.saslUsersSecret", "does not exist")
	warningEvent(t, ns, "auth", "SecretMissing")
	if err := c.Get(ctx, key, &appsv1.StatefulSet{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a StatefulSet was rendered onto a missing Secret: %v", err)
	}
	mk := func(name string, data map[string][]byte) {
		if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	mk("zk-users", map[string][]byte{"alice": []byte("alice-secret")})
	mk("zk-super", map[string][]byte{"other": []byte("x")})
	degradedWith(t, key, "SecretMissing", `Secret "zk-super"`, `no key "digest"`, "spec.auth.superDigest")
	if err := c.Get(ctx, key, &appsv1.StatefulSet{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a StatefulSet was rendered onto a missing key: %v", err)
	}
	s := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zk-super"}, s); err != nil {
		t.Fatal(err)
	}
	s.Data["digest"] = []byte("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
	if err := c.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	sts := &appsv1.StatefulSet{}
	eventually(t, 30*time.Second, func() error { return stsScaled(ctx, key, sts) })
	vols := sts.Spec.Template.Spec.Volumes
	if !slices.ContainsFunc(vols, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "zk-users" }) {
		t.Errorf("volumes %v lack the SASL users", vols)
	}
	svc := &corev1.Service{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "auth-client"}, svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 2281 {
		t.Errorf("client Service ports %v; want the secure port only", svc.Spec.Ports)
	}
	bundle := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "auth-ca-bundle"}, bundle); err != nil {
		t.Fatal(err)
	}
	ca := parseLeaf(t, []byte(bundle.Data["ca.crt"]))
	if !ca.IsCA || strings.Contains(bundle.Data["ca.crt"], "PRIVATE KEY") {
		t.Errorf("the published CA bundle: CA %v, %d bytes", ca.IsCA, len(bundle.Data["ca.crt"]))
	}
	// The member certificates name the client Service: clients verify them through it.
	tlsSecret := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "auth-tls"}, tlsSecret); err != nil {
		t.Fatal(err)
	}
	leaf := parseLeaf(t, tlsSecret.Data["member-1.crt"])
	if err := leaf.VerifyHostname(fmt.Sprintf("auth-client.%s.svc.%s", ns, defaultClusterDomain)); err != nil {
		t.Errorf("member certificate: %v", err)
	}
}

// TestNetworkPolicyObjects: the policy is rendered with the ensemble, and
// removed when the spec turns it off.
func TestNetworkPolicyObjects(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "np", func(z *zkv1.ZKEnsemble) {
		z.Spec.NetworkPolicy.ClientFrom = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "app"}}}}
	})
	createZKE(t, zke)
	np := &networkingv1.NetworkPolicy{}
	key := types.NamespacedName{Namespace: ns, Name: "np"}
	eventually(t, 20*time.Second, func() error { return c.Get(ctx, key, np) })
	if !metav1.IsControlledBy(np, zke) && np.OwnerReferences[0].Name != "np" {
		t.Errorf("owners %v", np.OwnerReferences)
	}
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/instance"] != "np" || !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
		t.Errorf("policy %+v", np.Spec)
	}
	rules := map[int32][]networkingv1.NetworkPolicyPeer{}
	for _, r := range np.Spec.Ingress {
		for _, p := range r.Ports {
			rules[p.Port.IntVal] = r.From
		}
	}
	if from := rules[2181]; len(from) != 1 || from[0].PodSelector.MatchLabels["role"] != "app" {
		t.Errorf("client port from %+v; want spec.networkPolicy.clientFrom", from)
	}
	if from := rules[8080]; len(from) != 3 || from[2].PodSelector.MatchLabels["app.kubernetes.io/name"] != backupPodName || from[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "zkensemble-system" {
		t.Errorf("admin port from %+v", from)
	}
	if _, ok := rules[2888]; !ok {
		t.Error("no rule for the quorum port")
	}
	cur := &zkv1.ZKEnsemble{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "np"}}
	update(t, cur, func() { cur.Spec.NetworkPolicy.Enabled = ptr.To(false) })
	eventually(t, 20*time.Second, func() error {
		err := c.Get(ctx, key, &networkingv1.NetworkPolicy{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%w)", err)
	})
}

// TestPodSecurityRestricted: the API server's Pod Security admission takes
// a member pod in a namespace that enforces "restricted", and refuses it
// with the opt-in init container (which runs as root).
func TestPodSecurityRestricted(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	nsObj := &corev1.Namespace{}
	if err := c.Get(ctx, types.NamespacedName{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if err := c.Update(ctx, nsObj); err != nil {
		t.Fatal(err)
	}
	zke := newZKE(ns, "restricted", func(z *zkv1.ZKEnsemble) {
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSOptional, ClientAuth: zkv1.ClientCertWant}
	})
	for _, perms := range []bool{false, true} {
		zke.Spec.Storage.VolumePermissions = perms
		tmpl := newRender(zke, "zkensemble/server:test", defaultClusterDomain).statefulSet(3).Spec.Template
		// As the StatefulSet controller makes it: the claim template becomes a volume.
		tmpl.Spec.Volumes = append(tmpl.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-restricted-0"}}})
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "member"}, Spec: tmpl.Spec}
		err := c.Create(ctx, pod, client.DryRunAll)
		switch {
		case !perms && err != nil:
			t.Errorf("a member pod is refused in a restricted namespace: %v", err)
		case perms && (err == nil || !strings.Contains(err.Error(), "restricted")):
			t.Errorf("with storage.volumePermissions (a root init container): %v; want a Pod Security refusal", err)
		case perms:
			t.Logf("with storage.volumePermissions: %v", err)
		}
	}
}

// TestAdmissionSecurity: security keys in extraConfig are refused naming
// the spec field to use, by the webhook and by the CRD's CEL rules.
func TestAdmissionSecurity(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		mutate  func(z *zkv1.ZKEnsemble)
		wantErr string
	}{
		{"tls key", func(z *zkv1.ZKEnsemble) { z.Spec.ExtraConfig = map[string]string{"ssl.clientAuth": "none"} }, "use spec.tls"},
		{"auth key", func(z *zkv1.ZKEnsemble) { z.Spec.ExtraConfig = map[string]string{"enforce.auth.enabled": "false"} }, "use spec.auth"},
		{"newline value", func(z *zkv1.ZKEnsemble) {
			z.Spec.ExtraConfig = map[string]string{"globalOutstandingLimit": "1\nclientPort=1"}
		}, "single lines"},
		{"key with =", func(z *zkv1.ZKEnsemble) { z.Spec.ExtraConfig = map[string]string{"a=b": "1"} }, "letters, digits"},
		{"client auth without TLS", func(z *zkv1.ZKEnsemble) { z.Spec.TLS.ClientAuth = zkv1.ClientCertNeed }, "set tls.client to Optional or Required"},
		{"valid secure spec", func(z *zkv1.ZKEnsemble) {
			z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSRequired, ClientAuth: zkv1.ClientCertWant}
			z.Spec.Auth = zkv1.AuthSpec{SASLUsersSecret: "u", Required: []zkv1.AuthScheme{"sasl", "x509"}}
		}, ""},
	}
	// The samples are admitted as they are.
	samples, _ := filepath.Glob("../config/samples/*.yaml")
	for _, path := range samples {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		z := &zkv1.ZKEnsemble{}
		if err := yaml.UnmarshalStrict(raw, z); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		z.Namespace = ns
		if err := testEnv.client.Create(ctx, z, client.DryRunAll); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	if len(samples) < 2 {
		t.Errorf("samples %v", samples)
	}
	for i, tc := range tests {
		err := testEnv.client.Create(ctx, newZKE(ns, fmt.Sprintf("sec%d", i), tc.mutate), client.DryRunAll)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: rejected: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: %v; want a rejection saying %q", tc.name, err, tc.wantErr)
		}
	}
}

func parseLeaf(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
