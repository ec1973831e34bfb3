package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestCertFilesFollowTheSecret(t *testing.T) {
	ctx := context.Background()
	key := types.NamespacedName{Namespace: "ops", Name: "webhook-cert"}
	c := fake.NewClientBuilder().Build()
	cf := &certFiles{reader: c, secret: key, dir: filepath.Join(t.TempDir(), "certs")}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	steps := []struct {
		name      string
		change    func()
		wantWrote bool
		wantCrt   string
	}{
		{"no Secret yet", func() {}, false, ""},
		{"Secret without the certificate", func() {
			if err := c.Create(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}, false, ""},
		{"certificate issued", func() {
			secret.Data = map[string][]byte{"tls.crt": []byte("crt-1"), "tls.key": []byte("key-1"), "ca.key": []byte("ca")}
			if err := c.Update(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}, true, "crt-1"},
		{"unchanged", func() {}, false, "crt-1"},
		{"rotated", func() {
			secret.Data = map[string][]byte{"tls.crt": []byte("crt-2"), "tls.key": []byte("key-2")}
			if err := c.Update(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}, true, "crt-2"},
	}
	for _, s := range steps {
		s.change()
		wrote, err := cf.sync(ctx)
		if err != nil || wrote != s.wantWrote {
			t.Fatalf("%s: wrote %v, %v; want %v", s.name, wrote, err, s.wantWrote)
		}
		got, _ := os.ReadFile(filepath.Join(cf.dir, "tls.crt"))
		if string(got) != s.wantCrt {
			t.Fatalf("%s: tls.crt %q, want %q", s.name, got, s.wantCrt)
		}
	}
	if k, _ := os.ReadFile(filepath.Join(cf.dir, "tls.key")); string(k) != "key-2" {
		t.Fatalf("tls.key %q", k)
	}
	if _, err := os.Stat(filepath.Join(cf.dir, "ca.key")); !os.IsNotExist(err) {
		t.Fatalf("the CA key was written to the pod: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(cf.dir, "tls.key")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("tls.key mode %v", fi.Mode())
	}
}
