//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
)

// The e2e suite's S3-compatible store: SeaweedFS (hack/weed.sh, image by
// hack/images.sh), one pod per namespace that needs it, with one identity.
const (
	storeName      = "store"
	storeBucket    = "backups"
	storeAccessKey = "e2e-access"
	storeSecretKey = "e2e-secret-key-0123456789"
	storeCreds     = "s3-creds"
)

func storeImage() string { return envOr("SEAWEEDFS_IMAGE", "docker.io/zkensemble/seaweedfs:e2e") }

// storeEndpoint is the store's S3 endpoint as pods reach it.
func storeEndpoint(ns string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:8333", storeName, ns)
}

// ensureStore runs the store in ns (once), with the credentials Secret the
// backups use, and returns an S3 client to it from the test's side.
func ensureStore(t *testing.T, ctx context.Context, ns string) *s3.Client {
	t.Helper()
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: storeName}, &corev1.Service{}); apierrors.IsNotFound(err) {
		deployStore(t, ns)
	} else if err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: storeName}, svc); err != nil {
		t.Fatal(err)
	}
	cli := s3.New(s3.Options{
		BaseEndpoint: aws.String(fmt.Sprintf("http://%s:8333", svc.Spec.ClusterIP)), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(storeAccessKey, storeSecretKey, ""),
	})
	eventually(t, 3*time.Minute, func() error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := cli.CreateBucket(cctx, &s3.CreateBucketInput{Bucket: aws.String(storeBucket)})
		if err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") && !strings.Contains(err.Error(), "BucketAlreadyExists") {
			return err
		}
		return nil
	})
	return cli
}

func deployStore(t *testing.T, ns string) {
	t.Helper()
	k.must(t, k.kubectl, "create", "namespace", ns)
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %[1]s-config, namespace: %[2]s}
stringData:
  s3.json: '{"identities":[{"name":"e2e","credentials":[{"accessKey":"%[3]s","secretKey":"%[4]s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}'
---
apiVersion: v1
kind: Secret
metadata: {name: %[5]s, namespace: %[2]s}
stringData: {accessKeyId: %[3]s, secretAccessKey: %[4]s}
---
apiVersion: v1
kind: Secret
metadata: {name: s3-wrong, namespace: %[2]s}
stringData: {accessKeyId: %[3]s, secretAccessKey: not-the-secret}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, runAsNonRoot: true}
      containers:
      - name: weed
        image: %[6]s
        imagePullPolicy: IfNotPresent
        args: ["server", "-dir=/data", "-ip.bind=0.0.0.0", "-master.volumeSizeLimitMB=64", "-volume.max=16",
               "-s3", "-s3.port=8333", "-s3.config=/etc/s3/s3.json"]
        env: [{name: HOME, value: /tmp}]
        ports: [{containerPort: 8333, name: s3}]
        readinessProbe: {tcpSocket: {port: 8333}, periodSeconds: 2}
        volumeMounts: [{name: data, mountPath: /data}, {name: tmp, mountPath: /tmp}, {name: config, mountPath: /etc/s3, readOnly: true}]
      volumes:
      - {name: data, emptyDir: {}}
      - {name: tmp, emptyDir: {}}
      - {name: config, secret: {secretName: %[1]s-config}}
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  selector: {app: %[1]s}
  ports: [{name: s3, port: 8333, targetPort: s3}]
`, storeName, ns, storeAccessKey, storeSecretKey, storeCreds, storeImage())
	if _, err := k.run(t, manifest, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	k.must(t, k.kubectl, "-n", ns, "rollout", "status", "deployment/"+storeName, "--timeout=3m")
}

// storeObjects lists the object names under prefix in the bucket.
func storeObjects(ctx context.Context, cli *s3.Client, prefix string) ([]string, error) {
	out, err := cli.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(storeBucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range out.Contents {
		names = append(names, aws.ToString(o.Key))
	}
	return names, nil
}

// s3Destination is the spec.destination YAML of the store, at prefix.
func s3DestinationYAML(ns, bucket, prefix, creds, indent string) string {
	return strings.ReplaceAll(fmt.Sprintf(`s3:
  bucket: %s
  prefix: %s
  endpoint: %s
  region: us-east-1
  forcePathStyle: true
  credentialsSecret: {name: %s}`, bucket, prefix, storeEndpoint(ns), creds), "\n", "\n"+indent)
}
