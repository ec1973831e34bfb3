package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// certFiles copies the webhook's serving certificate from the Secret the
// rotator keeps to the certificate directory (an emptyDir), as soon as it is
// there and whenever it changes. A Secret volume would do the same, but the
// kubelet refreshes it only on its periodic sync: a new operator then waited
// up to two minutes for its first certificate.
type certFiles struct {
	reader client.Reader
	secret types.NamespacedName
	dir    string
}

// NeedLeaderElection: every replica serves the webhook, so every one needs the files.
func (c *certFiles) NeedLeaderElection() bool { return false }

func (c *certFiles) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("cert-files")
	interval := time.Second // until the first certificate is written
	for {
		wrote, err := c.sync(ctx)
		switch {
		case err != nil:
			logger.Error(err, "copying the webhook certificate", "secret", c.secret, "dir", c.dir)
		case wrote:
			logger.Info("webhook certificate written", "dir", c.dir)
			interval = 10 * time.Second // then watch for rotations
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// sync writes tls.crt and tls.key when the Secret has them and they differ
// from the files.
func (c *certFiles) sync(ctx context.Context) (bool, error) {
	var s corev1.Secret
	if err := c.reader.Get(ctx, c.secret, &s); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	crt, key := s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return false, nil
	}
	old, _ := os.ReadFile(filepath.Join(c.dir, corev1.TLSCertKey))
	if bytes.Equal(old, crt) {
		return false, nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return false, err
	}
	// The key first: a watcher that sees the new certificate finds its key.
	for _, f := range []struct {
		name string
		data []byte
	}{{corev1.TLSPrivateKeyKey, key}, {corev1.TLSCertKey, crt}} {
		tmp := filepath.Join(c.dir, "."+f.name+".tmp")
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			return false, err
		}
		if err := os.Rename(tmp, filepath.Join(c.dir, f.name)); err != nil {
			return false, err
		}
	}
	return true, nil
}
