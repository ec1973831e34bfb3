package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// backupGVK is the operator's ZKBackup kind (spec {ensemble, destination};
// status {phase, zxid, location}).
var backupGVK = schema.GroupVersionKind{Group: "zookeeper.zkensemble.io", Version: "v1alpha1", Kind: "ZKBackup"}

// destinationFlags name a backup's destination when the ensemble's
// spec.backup does not (or to override it).
type destinationFlags struct {
	s3Bucket, s3Prefix, s3Endpoint, s3Region, s3Credentials string
	s3PathStyle                                             bool
	pvc                                                     string
}

func (d *destinationFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&d.s3Bucket, "s3-bucket", "", "backup: an S3-compatible bucket (default: the ensemble's spec.backup.destination)")
	fs.StringVar(&d.s3Prefix, "s3-prefix", "", "backup: key prefix in the bucket")
	fs.StringVar(&d.s3Endpoint, "s3-endpoint", "", "backup: endpoint of an S3-compatible store (http[s]://host[:port])")
	fs.StringVar(&d.s3Region, "s3-region", "", "backup: the bucket's region")
	fs.BoolVar(&d.s3PathStyle, "s3-path-style", false, "backup: address the bucket in the path")
	fs.StringVar(&d.s3Credentials, "s3-credentials-secret", "", "backup: Secret with accessKeyId and secretAccessKey")
	fs.StringVar(&d.pvc, "pvc", "", "backup: CLAIM[/SUBPATH], a PersistentVolumeClaim to write to")
}

// destination is the ZKBackup's spec.destination: from the flags, else the
// ensemble's spec.backup.destination.
func (d *destinationFlags) destination(ensemble *unstructured.Unstructured) (map[string]any, error) {
	switch {
	case d.s3Bucket != "" && d.pvc != "":
		return nil, fmt.Errorf("--s3-bucket and --pvc: a backup has one destination")
	case d.s3Bucket != "":
		if d.s3Credentials == "" {
			return nil, fmt.Errorf("--s3-bucket needs --s3-credentials-secret (a Secret with accessKeyId and secretAccessKey)")
		}
		s3 := map[string]any{"bucket": d.s3Bucket, "credentialsSecret": map[string]any{"name": d.s3Credentials}}
		for k, v := range map[string]string{"prefix": d.s3Prefix, "endpoint": d.s3Endpoint, "region": d.s3Region} {
			if v != "" {
				s3[k] = v
			}
		}
		if d.s3PathStyle {
			s3["forcePathStyle"] = true
		}
		return map[string]any{"s3": s3}, nil
	case d.pvc != "":
		claim, sub, _ := strings.Cut(d.pvc, "/")
		pvc := map[string]any{"claimName": claim}
		if sub != "" {
			pvc["subPath"] = sub
		}
		return map[string]any{"pvc": pvc}, nil
	}
	dest, ok, err := unstructured.NestedMap(ensemble.Object, "spec", "backup", "destination")
	if err != nil || !ok {
		return nil, fmt.Errorf("ensemble %s has no spec.backup.destination: give --s3-bucket or --pvc", ensemble.GetName())
	}
	return dest, nil
}

// backupCmd creates a ZKBackup of the ensemble and, with --wait, waits for
// it to succeed or fail, then prints its phase, zxid and location.
func backupCmd(ctx context.Context, k *kube, o *options, name string, out io.Writer) error {
	ens := &unstructured.Unstructured{}
	ens.SetGroupVersionKind(backupGVK.GroupVersion().WithKind("ZKEnsemble"))
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: name}, ens); err != nil {
		return err
	}
	dest, err := o.dest.destination(ens)
	if err != nil {
		return err
	}
	b := newBackup(k.ns, name, dest)
	if err := k.c.Create(ctx, b); err != nil {
		return fmt.Errorf("creating a ZKBackup (is an operator with backups installed?): %w", err)
	}
	fmt.Fprintf(out, "zkbackup/%s created\n", b.GetName())
	if !o.wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(backupGVK.GroupVersion().WithKind("ZKBackupList"))
	err = k.watchUntil(ctx, list, client.MatchingFields{"metadata.name": b.GetName()}, func() (bool, error) {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			return false, err
		}
		phase, _, _ := unstructured.NestedString(b.Object, "status", "phase")
		return phase == "Succeeded" || phase == "Failed", nil
	})
	if err != nil {
		return fmt.Errorf("waiting for zkbackup/%s: %w", b.GetName(), err)
	}
	printBackup(out, b)
	if phase, _, _ := unstructured.NestedString(b.Object, "status", "phase"); phase != "Succeeded" {
		return fmt.Errorf("zkbackup/%s %s", b.GetName(), phase)
	}
	return nil
}

// newBackup is a ZKBackup of ensemble, named after it.
func newBackup(ns, ensemble string, dest map[string]any) *unstructured.Unstructured {
	b := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"ensemble": ensemble, "destination": dest},
	}}
	b.SetGroupVersionKind(backupGVK)
	b.SetNamespace(ns)
	b.SetGenerateName(ensemble + "-")
	return b
}
