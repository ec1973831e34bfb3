package controllers

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// TestPodSettingsAdmission runs each pod setting through the webhook's Go
// rules, the CRD's CEL rules alone (an API server without the webhook) and
// both: a collision with the server's names or paths is refused by each,
// with how to fix it. Sidecar ports are the webhook's alone (cel "").
func TestPodSettingsAdmission(t *testing.T) {
	if testEnv == nil {
		t.Skip("envtest assets (kube-apiserver, etcd) not available")
	}
	emptyDir := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	tests := []struct {
		name    string
		pod     zkv1.PodSettings
		svc     zkv1.ClientServiceSpec
		webhook string // in the webhook's refusal; "" accepted
		cel     string // in the CEL refusal; "" accepted by CEL
	}{
		{name: "all settings", pod: zkv1.PodSettings{
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}, ServiceAccountName: "zk",
			Env:          []corev1.EnvVar{{Name: "JVMFLAGS", Value: "x"}},
			Volumes:      []corev1.Volume{{Name: "scratch", VolumeSource: emptyDir}},
			VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}, {Name: "scratch", MountPath: "/database"}},
			Containers:   []corev1.Container{{Name: "shipper", Image: "s:1", Ports: []corev1.ContainerPort{{ContainerPort: 9000}}}},
			AntiAffinity: zkv1.AntiAffinityRequired,
		}, svc: zkv1.ClientServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal, Annotations: map[string]string{"a": "b"}}},
		{name: "sidecar named server", pod: zkv1.PodSettings{Containers: []corev1.Container{{Name: "server", Image: "x"}}},
			webhook: "rename the container", cel: "rename the sidecar"},
		{name: "init container named volume-permissions", pod: zkv1.PodSettings{InitContainers: []corev1.Container{{Name: "volume-permissions", Image: "x"}}},
			webhook: "rename the container", cel: "rename the init container"},
		{name: "volume named data", pod: zkv1.PodSettings{Volumes: []corev1.Volume{{Name: "data", VolumeSource: emptyDir}}},
			webhook: "rename the volume", cel: "rename the volume"},
		{name: "volume named tls", pod: zkv1.PodSettings{Volumes: []corev1.Volume{{Name: "tls", VolumeSource: emptyDir}}},
			webhook: "rename the volume", cel: "rename the volume"},
		{name: "mount over /data", pod: zkv1.PodSettings{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/data"}}},
			webhook: "mount elsewhere", cel: "mount elsewhere"},
		{name: "mount under /etc/zkensemble", pod: zkv1.PodSettings{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/etc/zkensemble/tls/x"}}},
			webhook: "mount elsewhere", cel: "mount elsewhere"},
		{name: "mount over /datalog/", pod: zkv1.PodSettings{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/datalog/"}}},
			webhook: "mount elsewhere", cel: "mount elsewhere"},
		{name: "env POD_NAMESPACE", pod: zkv1.PodSettings{Env: []corev1.EnvVar{{Name: "POD_NAMESPACE", Value: "x"}}},
			webhook: "rename the variable", cel: "rename the variable"},
		{name: "sidecar on the quorum port", pod: zkv1.PodSettings{Containers: []corev1.Container{{Name: "s", Image: "x", Ports: []corev1.ContainerPort{{ContainerPort: 2888}}}}},
			webhook: "listen on another port"},
		{name: "source ranges without a load balancer", svc: zkv1.ClientServiceSpec{LoadBalancerSourceRanges: []string{"10.0.0.0/8"}},
			webhook: "needs type LoadBalancer", cel: "needs type LoadBalancer"},
		{name: "local traffic policy on ClusterIP", svc: zkv1.ClientServiceSpec{ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal},
			webhook: "needs type NodePort or LoadBalancer", cel: "needs type NodePort or LoadBalancer"},
	}
	ctx := context.Background()
	celOnly := bareEnv(t)
	celNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-pods-"}}
	if err := celOnly.client.Create(ctx, celNS); err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zke := newZKE(ns, "pods", func(z *zkv1.ZKEnsemble) { z.Spec.Pod, z.Spec.ClientService = tc.pod, tc.svc })
			errs, _ := zke.Spec.Validate()
			if hook := errs.ToAggregate(); (hook != nil) != (tc.webhook != "") || (hook != nil && !strings.Contains(hook.Error(), tc.webhook)) {
				t.Fatalf("webhook rules: %v; want %q", hook, tc.webhook)
			}
			cel := zke.DeepCopy()
			cel.Namespace = celNS.Name
			err := celOnly.client.Create(ctx, cel, client.DryRunAll)
			if (err != nil) != (tc.cel != "") || (err != nil && !strings.Contains(err.Error(), tc.cel)) {
				t.Fatalf("CEL rules: %v; want %q", err, tc.cel)
			}
			err = testEnv.client.Create(ctx, zke, client.DryRunAll)
			if (err != nil) != (tc.webhook != "") {
				t.Fatalf("API server with the webhook: %v; want refused=%v", err, tc.webhook != "")
			}
		})
	}
}
