//go:build e2e

package e2e

import (
	"context"
	"crypto/sha1" //nolint:gosec // ZooKeeper's superDigest is SHA-1 by definition
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/zkclient"
)

// What secureAvailable found, for the scenarios that follow: the ensemble
// CA the members' certificates chain to, and the certificate each member
// served then (servedCertificates).
var (
	secureRoots   *x509.CertPool
	servedAtStart map[string]string
)

// The secure ensemble's SASL users (Secret zk-users) and super user.
const (
	appUser, appPassword = "app", "app-secret-password"
	superPassword        = "super-secret-password"
)

// secureAvailable: an ensemble with spec.tls Required (the secure port
// only, client certificates wanted) and spec.auth (SASL users from a Secret,
// SASL required, a super digest from a Secret), in a namespace that
// enforces Pod Security "restricted", becomes Available. A client in a pod
// connects with TLS and SASL through the client Service and writes; one
// without a SASL login is refused, and the plain port serves nothing.
func secureAvailable(t *testing.T, ctx context.Context, plainNS, ns, name string) {
	start := time.Now()
	k.must(t, k.kubectl, "create", "namespace", ns)
	k.must(t, k.kubectl, "label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/warn=restricted")
	storageClass := localVolumes(t, ctx, plainNS, ns, 5)
	digest := sha1.Sum([]byte("super:" + superPassword)) //nolint:gosec // ZooKeeper's digest scheme
	secrets := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: zk-users, namespace: %[1]s}
stringData: {%[2]s: %[3]s, alice: alice-secret}
---
apiVersion: v1
kind: Secret
metadata: {name: zk-super, namespace: %[1]s}
stringData: {digest: "super:%[4]s"}
---
apiVersion: v1
kind: Secret
metadata: {name: app-credentials, namespace: %[1]s}
stringData: {password: %[3]s}
`, ns, appUser, appPassword, base64.StdEncoding.EncodeToString(digest[:]))
	if _, err := k.run(t, secrets, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	spec := `  tls:
    client: Required
    clientAuth: Want
  auth:
    saslUsersSecret: zk-users
    superUsers: [alice]
    required: [sasl]
    superDigest: {name: zk-super, key: digest}
`
	yaml := sampleYAML(name, ns, 3, spec)
	// No root init container here: fsGroup makes the volumes the server's.
	yaml = strings.Replace(yaml, "    # The local cluster's hostPath volumes ignore fsGroup.\n    volumePermissions: true\n", storageClass, 1)
	if _, err := k.run(t, yaml, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	z := waitSettled(t, ctx, ns, name, 3, 4*time.Minute)
	t.Logf("TLS-required, SASL-required ensemble Available in %s in a restricted namespace; published %s", time.Since(start).Round(time.Second), z.Status.ConnectString)
	if !strings.Contains(z.Status.ConnectString, fmt.Sprintf(":%d", podlayout.SecureClientPort)) || z.Status.SecureConnectString != z.Status.ConnectString {
		t.Errorf("connect strings %q / %q: want the secure port", z.Status.ConnectString, z.Status.SecureConnectString)
	}
	svc := &corev1.Service{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name + "-client"}, svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != podlayout.SecureClientPort {
		t.Errorf("client Service ports %+v: want the secure port only", svc.Spec.Ports)
	}
	np := &networkingv1.NetworkPolicy{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, np); err != nil {
		t.Errorf("NetworkPolicy: %v", err)
	} else {
		t.Logf("NetworkPolicy %s: %d ingress rules (client, quorum from members, admin from members and the operator, probe)", np.Name, len(np.Spec.Ingress))
	}
	// The host's clients (the fleets) use TLS with the published CA and SASL.
	bundle := &corev1.ConfigMap{}
	if err := k.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name + "-ca-bundle"}, bundle); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(bundle.Data["ca.crt"])) {
		t.Fatal("no CA in the published bundle")
	}
	secureRoots = roots
	servedAtStart = servedCertificates(t, ctx, ns, name)
	secureClients[ns+"/"+name] = []zkclient.Option{
		zkclient.WithTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
		zkclient.WithSASL(appUser, appPassword),
	}
	secureClientPod(t, ctx, ns, name)
}

// secureClientPod runs zkcli in a pod of the restricted namespace (not a
// member): with TLS and SASL through the client Service it writes and is
// sasl:app; without a SASL login its requests are refused; nothing answers
// on the plain port.
func secureClientPod(t *testing.T, ctx context.Context, ns, name string) {
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: zk-client, namespace: %[1]s, labels: {role: zk-client}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: %[2]s
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sleep", "3600"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    volumeMounts:
    - {name: ca, mountPath: /etc/zk-ca, readOnly: true}
    - {name: credentials, mountPath: /etc/zk-credentials, readOnly: true}
  volumes:
  - {name: ca, configMap: {name: %[3]s-ca-bundle}}
  - {name: credentials, secret: {secretName: app-credentials}}
`, ns, k.serverImage, name)
	if _, err := k.run(t, pod, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	k.must(t, k.kubectl, "-n", ns, "wait", "pod/zk-client", "--for=condition=Ready", "--timeout=2m")
	svc := fmt.Sprintf("%s-client.%s.svc.cluster.local", name, ns)
	zkcli := func(args ...string) (string, error) {
		return k.run(t, "", k.kubectl, append([]string{"-n", ns, "exec", "zk-client", "--", "/zkcli", "-timeout", "8s"}, args...)...)
	}
	creds := []string{"-server", fmt.Sprintf("%s:%d", svc, podlayout.SecureClientPort), "-tls-ca", "/etc/zk-ca/ca.crt",
		"-sasl-user", appUser, "-sasl-password-file", "/etc/zk-credentials/password"}
	if _, err := zkcli(append(creds, "create", "/secure", "written-over-tls-and-sasl")...); err != nil {
		t.Fatalf("client pod with TLS and SASL: %v", err)
	}
	who, err := zkcli(append(creds, "whoami")...)
	if err != nil || !strings.Contains(who, "sasl:"+appUser) {
		t.Errorf("whoami over TLS and SASL: %q %v", who, err)
	}
	got, err := zkcli(append(creds, "-sync", "get", "/secure")...)
	if err != nil || strings.TrimSpace(got) != "written-over-tls-and-sasl" {
		t.Errorf("read back %q %v", got, err)
	}
	// TLS without a SASL login: the session is made, its requests refused.
	out, err := zkcli("-server", fmt.Sprintf("%s:%d", svc, podlayout.SecureClientPort), "-tls-ca", "/etc/zk-ca/ca.crt", "get", "/secure")
	if err == nil || strings.Contains(out, "written") {
		t.Errorf("a client without a SASL login read %q (%v); want a refusal", out, err)
	} else {
		t.Logf("without a SASL login: %s", lastLine(err.Error()))
	}
	// The plain port is not served: neither through the Service nor on a member.
	for _, addr := range []string{fmt.Sprintf("%s:%d", svc, podlayout.ClientPort), fmt.Sprintf("%s-0.%s-peers.%s.svc.cluster.local:%d", name, name, ns, podlayout.ClientPort)} {
		if out, err := zkcli("-server", addr, "-timeout", "3s", "get", "/secure"); err == nil {
			t.Errorf("plain %s answered: %q", addr, out)
		}
	}
	t.Logf("a client pod wrote and read over TLS and SASL through %s; without SASL it was refused; the plain port answers nothing", svc)
}

// localVolumes: the local cluster's hostPath provisioner ignores fsGroup
// (it makes root-owned 0750 directories), so members without the root init
// container could not write to them. Local PersistentVolumes honour
// fsGroup: on that cluster this makes n of them (directories made by a
// helper pod in the unrestricted namespace plainNS) and returns the spec
// lines of their StorageClass. On other clusters it returns "" (the default
// StorageClass).
func localVolumes(t *testing.T, ctx context.Context, plainNS, ns string, n int) string {
	out := k.must(t, k.kubectl, "get", "storageclass", "-o",
		`jsonpath={range .items[*]}{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class} {.provisioner}{"\n"}{end}`)
	if !strings.Contains(out, "true kubernetes.io/host-path") {
		return ""
	}
	node := strings.TrimSpace(k.must(t, k.kubectl, "get", "nodes", "-o", "jsonpath={.items[0].metadata.labels.kubernetes\\.io/hostname}"))
	dir := "/tmp/zkensemble-e2e-local/" + ns
	var mk strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&mk, " %s/pv%d", "/host"+strings.TrimPrefix(dir, "/tmp"), i)
	}
	hostJob(t, plainNS, "mkpv", "/bin/busybox mkdir -p"+mk.String())
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: %s}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
`, ns)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: PersistentVolume
metadata: {name: %[1]s-pv%[2]d, labels: {e2e-local: %[1]s}}
spec:
  capacity: {storage: 100Mi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: %[1]s
  local: {path: %[3]s/pv%[2]d}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [%[4]s]}]
`, ns, i, dir, node)
	}
	if _, err := k.run(t, b.String(), k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	t.Logf("hostPath volumes ignore fsGroup here: %d local volumes (root-owned, fsGroup applied by the kubelet) in StorageClass %s", n, ns)
	return "    storageClassName: " + ns + "\n"
}

// hostJob runs script as root in a pod of the unrestricted namespace with
// the node's /tmp at /host, and waits for it to succeed.
func hostJob(t *testing.T, ns, name, script string) {
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  containers:
  - name: job
    image: %[3]s
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sh", "-c", %[4]q]
    securityContext: {runAsUser: 0}
    volumeMounts: [{name: host, mountPath: /host}]
  volumes:
  - {name: host, hostPath: {path: /tmp, type: Directory}}
`, name, ns, k.serverImage, script)
	k.must(t, k.kubectl, "-n", ns, "delete", "pod", name, "--ignore-not-found", "--wait=true")
	if _, err := k.run(t, pod, k.kubectl, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	k.must(t, k.kubectl, "-n", ns, "wait", "pod/"+name, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=2m")
	k.must(t, k.kubectl, "-n", ns, "delete", "pod", name, "--wait=false")
}

// servedCertificates is, per member pod, the serial of the certificate it
// serves on the secure client port now, and the pod's UID.
func servedCertificates(t *testing.T, ctx context.Context, ns, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	uids := podUIDs(t, ctx, ns, name)
	for pod, uid := range uids {
		host := fmt.Sprintf("%s.%s-peers.%s.svc.cluster.local", pod, name, ns)
		d := &net.Dialer{Timeout: 5 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(host, fmt.Sprint(podlayout.SecureClientPort)),
			&tls.Config{RootCAs: secureRoots, ServerName: host, MinVersion: tls.VersionTLS12})
		if err != nil {
			out[pod] = "(" + err.Error() + ")"
			continue
		}
		leaf := conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		out[pod] = fmt.Sprintf("%s/%x", uid, leaf.SerialNumber)
	}
	return out
}

// rotation: member certificates (6 minutes here, renewed with a third
// left) are issued again while clients write over TLS; each member that
// served a certificate when the ensemble became Available — the same pod,
// never restarted since — serves a new one once the kubelet has updated its
// volume, and no client loses its session or an acknowledged write (this
// fleet's, and the scale scenario's before it).
func rotation(t *testing.T, ctx context.Context, ns, name string) {
	f := startFleet(t, ns, name, 30)
	start := time.Now()
	var rotated []string
	eventually(t, certValidity, func() error {
		now := servedCertificates(t, ctx, ns, name)
		rotated = rotated[:0]
		for pod, was := range servedAtStart {
			uid := strings.SplitN(was, "/", 2)[0]
			cur, ok := now[pod]
			switch {
			case !ok || !strings.HasPrefix(cur, uid+"/"):
				continue // removed or replaced since: not a rotation in place
			case cur == was:
				return fmt.Errorf("%s still serves %s", pod, was)
			}
			rotated = append(rotated, pod)
		}
		if len(rotated) < 3 {
			return fmt.Errorf("only %v still run since the ensemble became Available", rotated)
		}
		return nil
	})
	t.Logf("members %v serve new certificates without a restart (%s after this check began)", rotated, time.Since(start).Round(time.Second))
	writes := f.finish(publishedList(t, ns, name))
	t.Logf("%d acknowledged writes verified over TLS and SASL; no session expired", writes)
}

// removeSecure deletes the secure ensemble, its namespace and its local volumes.
func removeSecure(t *testing.T, ctx context.Context, plainNS, ns, name string) {
	delete(secureClients, ns+"/"+name)
	k.must(t, k.kubectl, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=3m")
	k.must(t, k.kubectl, "delete", "pv", "-l", "e2e-local="+ns, "--ignore-not-found", "--wait=true", "--timeout=1m")
	k.must(t, k.kubectl, "delete", "storageclass", ns, "--ignore-not-found")
	hostJob(t, plainNS, "rmpv", "/bin/busybox rm -rf /host/zkensemble-e2e-local/"+ns)
}
