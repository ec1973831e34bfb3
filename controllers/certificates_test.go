package controllers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// secrets waits for the ensemble's CA Secret and member certificates Secret.
func secrets(t *testing.T, zke *zkv1.ZKEnsemble, until func(ca, tlsSecret *corev1.Secret) error) (*corev1.Secret, *corev1.Secret) {
	t.Helper()
	c := testEnv.client
	ca, tlsSecret := &corev1.Secret{}, &corev1.Secret{}
	eventually(t, 20*time.Second, func() error {
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: zke.Namespace, Name: podlayout.CASecret(zke.Name)}, ca); err != nil {
			return err
		}
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: zke.Namespace, Name: podlayout.TLSSecret(zke.Name)}, tlsSecret); err != nil {
			return err
		}
		if until != nil {
			return until(ca, tlsSecret)
		}
		return nil
	})
	return ca, tlsSecret
}

// memberCert reads member id's certificate from the Secret and checks that
// it goes with its key.
func memberCert(s *corev1.Secret, id uint64) (*x509.Certificate, error) {
	pair, err := tls.X509KeyPair(s.Data[podlayout.MemberCertFile(id)], s.Data[podlayout.MemberKeyFile(id)])
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", id, err)
	}
	return pair.Leaf, nil
}

func hasMembers(n uint64) func(_, s *corev1.Secret) error {
	return func(_, s *corev1.Secret) error {
		for id := uint64(1); id <= n; id++ {
			if _, err := memberCert(s, id); err != nil {
				return err
			}
		}
		return nil
	}
}

// update reads obj again, changes it and writes it, again when the
// controller wrote it in between (a status update conflicts too).
func update(t *testing.T, obj client.Object, mutate func()) {
	t.Helper()
	c := testEnv.client
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		return c.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stsScaled reads the StatefulSet once a step has set its replicas.
func stsScaled(ctx context.Context, key types.NamespacedName, sts *appsv1.StatefulSet) error {
	if err := testEnv.client.Get(ctx, key, sts); err != nil {
		return err
	}
	if ptr.Deref(sts.Spec.Replicas, 0) == 0 {
		return fmt.Errorf("StatefulSet %s at 0 replicas", key.Name)
	}
	return nil
}

func createZKE(t *testing.T, zke *zkv1.ZKEnsemble) {
	t.Helper()
	if err := testEnv.client.Create(context.Background(), zke); err != nil {
		t.Fatal(err)
	}
}

// TestMemberCertificates: a ZKEnsemble gets a CA and a certificate for every
// member the spec asks for before their pods exist, each naming the member's
// identity and pod DNS names under that CA; the pods mount them, probes go to
// the plain probe port, and the default four-letter words print no session
// ids. A scale-up writes the new members' certificates first, and a pass
// issues nothing that is still good.
func TestMemberCertificates(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "tls")
	createZKE(t, zke)
	caSecret, tlsSecret := secrets(t, zke, hasMembers(3))
	ca, err := certs.LoadCA(caSecret.Data[podlayout.CACertKey], caSecret.Data[podlayout.CAKeyKey])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tlsSecret.Data[podlayout.CAFile], caSecret.Data[podlayout.CACertKey]) {
		t.Error("the members' trust bundle is not the ensemble's CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	n := names{zke, defaultClusterDomain}
	for id := uint64(1); id <= 3; id++ {
		leaf, err := memberCert(tlsSecret, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, _ := certs.IdentityOf(leaf); !ok || got != certs.Member(string(zke.UID), id) {
			t.Errorf("member %d's certificate names %v", id, got)
		}
		host := fmt.Sprintf("tls-%d.tls-peers.%s.svc.%s", id-1, ns, defaultClusterDomain)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("member %d's certificate for %s: %v", id, host, err)
		}
		if !slices.Equal(leaf.DNSNames, n.hosts(id)) || time.Until(leaf.NotAfter) < 300*24*time.Hour {
			t.Errorf("member %d: names %v, valid until %s", id, leaf.DNSNames, leaf.NotAfter)
		}
	}
	for _, s := range []*corev1.Secret{caSecret, tlsSecret} {
		refs := s.OwnerReferences
		if len(refs) != 1 || refs[0].UID != zke.UID || !ptr.Deref(refs[0].Controller, false) || s.Labels["app.kubernetes.io/managed-by"] != "zkensemble-operator" {
			t.Errorf("Secret %s: owners %v, labels %v", s.Name, refs, s.Labels)
		}
	}

	sts := &appsv1.StatefulSet{}
	eventually(t, 20*time.Second, func() error { return stsScaled(ctx, types.NamespacedName{Namespace: ns, Name: "tls"}, sts) })
	if r := ptr.Deref(sts.Spec.Replicas, 0); r != 1 {
		t.Fatalf("StatefulSet at %d replicas", r)
	}
	pod := sts.Spec.Template.Spec
	ctr := pod.Containers[0]
	vol := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "tls-tls" })
	mnt := slices.IndexFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == podlayout.TLSDir && m.ReadOnly })
	if vol < 0 || mnt < 0 || ctr.VolumeMounts[mnt].Name != pod.Volumes[vol].Name || !slices.Contains(ctr.Args, "--tls-dir="+podlayout.TLSDir) {
		t.Errorf("the pod does not mount its certificates: volumes %v, mounts %v, args %v", pod.Volumes, ctr.VolumeMounts, ctr.Args)
	}
	probe := slices.IndexFunc(ctr.Ports, func(p corev1.ContainerPort) bool { return p.Name == "probe" && p.ContainerPort == podlayout.ProbePort })
	if probe < 0 || ctr.ReadinessProbe.HTTPGet.Port.StrVal != "probe" || ctr.LivenessProbe.HTTPGet.Port.StrVal != "probe" {
		t.Errorf("probes do not go to the probe port: ports %v, readiness %v", ctr.Ports, ctr.ReadinessProbe.HTTPGet)
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "tls-config"}, cm); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("metricsProvider.httpPort=%d\n", podlayout.ProbePort), "4lw.commands.whitelist=srvr,ruok,mntr,conf,envi,wchs,dirs,isro\n"} {
		if !strings.Contains(cm.Data[podlayout.ZooCfg], want) {
			t.Errorf("zoo.cfg lacks %q:\n%s", want, cm.Data[podlayout.ZooCfg])
		}
	}

	// A scale-up: the new members' certificates come first (no pod runs
	// under envtest, so the StatefulSet stays at the bootstrap member).
	update(t, zke, func() { zke.Spec.Replicas = 5 })
	_, tlsSecret = secrets(t, zke, hasMembers(5))
	if err := c.Get(ctx, client.ObjectKeyFromObject(sts), sts); err != nil || ptr.Deref(sts.Spec.Replicas, 0) != 1 {
		t.Fatalf("StatefulSet: %v %v", sts.Spec.Replicas, err)
	}

	// A lost key is issued again; the other certificates stay as they are.
	kept := map[string][]byte{}
	update(t, tlsSecret, func() {
		for k, v := range tlsSecret.Data {
			kept[k] = v
		}
		delete(tlsSecret.Data, podlayout.MemberKeyFile(4))
	})
	_, tlsSecret = secrets(t, zke, hasMembers(5))
	for k, v := range kept {
		if changed := !bytes.Equal(tlsSecret.Data[k], v); changed != strings.HasPrefix(k, "member-4.") {
			t.Errorf("%s changed: %v", k, changed)
		}
	}
}

// TestCertificateRenewal: a certificate with a third of its lifetime left,
// one of another CA and one naming another member are each issued again.
func TestCertificateRenewal(t *testing.T) {
	ns := namespace(t)
	zke := newZKE(ns, "renew")
	createZKE(t, zke)
	caSecret, tlsSecret := secrets(t, zke, hasMembers(3))
	ca, err := certs.LoadCA(caSecret.Data[podlayout.CACertKey], caSecret.Data[podlayout.CAKeyKey])
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewCA("another", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n := names{zke, defaultClusterDomain}
	put := func(id uint64, issuer *certs.CA, named uint64, validity time.Duration) {
		l, err := issuer.Issue(certs.Member(string(zke.UID), named), n.hosts(id), nil, validity)
		if err != nil {
			t.Fatal(err)
		}
		tlsSecret.Data[podlayout.MemberCertFile(id)], tlsSecret.Data[podlayout.MemberKeyFile(id)] = l.CertPEM, l.KeyPEM
	}
	update(t, tlsSecret, func() {
		put(1, ca, 9, memberValidity) // names member 9
		put(2, ca, 2, time.Minute)    // near its end: 1 of its 6 minutes left (issued 5 minutes back-dated)
		put(3, other, 3, time.Hour)   // another CA
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	secrets(t, zke, func(_, s *corev1.Secret) error {
		for id := uint64(1); id <= 3; id++ {
			leaf, err := memberCert(s, id)
			if err != nil {
				return err
			}
			if got, _, _ := certs.IdentityOf(leaf); got != certs.Member(string(zke.UID), id) {
				return fmt.Errorf("member %d's certificate still names %v", id, got)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: n.host(id)}); err != nil {
				return fmt.Errorf("member %d's certificate: %w", id, err)
			}
			if time.Until(leaf.NotAfter) < 300*24*time.Hour {
				return fmt.Errorf("member %d's certificate ends %s", id, leaf.NotAfter)
			}
		}
		return nil
	})
}

// TestBrokenCASecret: a CA Secret a user broke becomes a Degraded condition
// and a Warning event that say what to do; the operator does not make a new
// CA in its place (that would cut the members off), and goes on once the
// Secret is restored.
func TestBrokenCASecret(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := testEnv.client
	zke := newZKE(ns, "broken")
	createZKE(t, zke)
	caSecret, _ := secrets(t, zke, hasMembers(3))
	key, cert := caSecret.Data[podlayout.CAKeyKey], caSecret.Data[podlayout.CACertKey]
	update(t, caSecret, func() { delete(caSecret.Data, podlayout.CAKeyKey) })
	degraded := func(want bool) func() error {
		return func() error {
			got := &zkv1.ZKEnsemble{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(zke), got); err != nil {
				return err
			}
			d := meta.FindStatusCondition(got.Status.Conditions, CondDegraded)
			is := d != nil && d.Status == "True" && d.Reason == "CASecretInvalid"
			if is != want {
				return fmt.Errorf("Degraded %+v", d)
			}
			if want && !strings.Contains(d.Message, "restore its ca.crt and ca.key, or delete the Secret") {
				return fmt.Errorf("the condition does not say what to do: %q", d.Message)
			}
			return nil
		}
	}
	eventually(t, 20*time.Second, degraded(true))
	eventually(t, 20*time.Second, func() error {
		var evs eventsv1.EventList
		if err := c.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Reason == "CASecretInvalid" && e.Type == corev1.EventTypeWarning && e.Regarding.UID == zke.UID {
				return nil
			}
		}
		return fmt.Errorf("no CASecretInvalid warning among %d events", len(evs.Items))
	})
	now := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(caSecret), now); err != nil {
		t.Fatal(err)
	}
	if _, ok := now.Data[podlayout.CAKeyKey]; ok || !bytes.Equal(now.Data[podlayout.CACertKey], cert) {
		t.Fatal("the operator replaced the broken CA")
	}
	update(t, now, func() { now.Data[podlayout.CAKeyKey] = key })
	eventually(t, 20*time.Second, degraded(false))
}
