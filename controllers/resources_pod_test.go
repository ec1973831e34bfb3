package controllers

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// TestPodSettingsRendering: each spec.pod setting reaches the member pods,
// after the operator's own, and the defaults hold without them.
func TestPodSettingsRendering(t *testing.T) {
	render := func(mut func(*zkv1.ZKEnsembleSpec)) corev1.PodSpec {
		zke := newZKE("ns", "pods", func(z *zkv1.ZKEnsemble) { mut(&z.Spec) })
		return newRender(zke, "img", defaultClusterDomain).statefulSet(3).Spec.Template.Spec
	}
	server := func(p corev1.PodSpec) corev1.Container { return p.Containers[0] }
	sidecar := corev1.Container{Name: "log-shipper", Image: "shipper:1", Ports: []corev1.ContainerPort{{ContainerPort: 9000}}}
	tests := []struct {
		name  string
		mut   func(*zkv1.ZKEnsembleSpec)
		check func(corev1.PodSpec) string // "" when the pod is as expected
	}{
		{"defaults: preferred spread across nodes, no token, no pull secret", func(*zkv1.ZKEnsembleSpec) {}, func(p corev1.PodSpec) string {
			pref := p.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
			if len(pref) != 1 || pref[0].PodAffinityTerm.TopologyKey != podlayout.HostnameTopology ||
				pref[0].PodAffinityTerm.LabelSelector.MatchLabels["app.kubernetes.io/instance"] != "pods" {
				return "anti-affinity"
			}
			if ptr.Deref(p.AutomountServiceAccountToken, true) || p.ServiceAccountName != "" || len(p.ImagePullSecrets) != 0 || len(p.Containers) != 1 {
				return "defaults"
			}
			return ""
		}},
		{"required anti-affinity", func(s *zkv1.ZKEnsembleSpec) { s.Pod.AntiAffinity = zkv1.AntiAffinityRequired }, func(p corev1.PodSpec) string {
			if r := p.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution; len(r) != 1 || r[0].TopologyKey != podlayout.HostnameTopology {
				return "required term"
			}
			return ""
		}},
		{"no anti-affinity", func(s *zkv1.ZKEnsembleSpec) { s.Pod.AntiAffinity = zkv1.AntiAffinityNone }, func(p corev1.PodSpec) string {
			if p.Affinity != nil {
				return "affinity rendered"
			}
			return ""
		}},
		{"user podAntiAffinity replaces ours, node affinity kept with ours", func(s *zkv1.ZKEnsembleSpec) {
			s.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
				{Weight: 7, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "topology.kubernetes.io/zone"}}}}}
		}, func(p corev1.PodSpec) string {
			if pref := p.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution; len(pref) != 1 || pref[0].Weight != 7 {
				return "user anti-affinity not kept"
			}
			return ""
		}},
		{"node affinity gets our spread added", func(s *zkv1.ZKEnsembleSpec) {
			s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1}}}}
		}, func(p corev1.PodSpec) string {
			if p.Affinity.NodeAffinity == nil || p.Affinity.PodAntiAffinity == nil {
				return "node affinity or spread missing"
			}
			return ""
		}},
		{"pull secrets and service account", func(s *zkv1.ZKEnsembleSpec) {
			s.Pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
			s.Pod.ServiceAccountName = "zk"
		}, func(p corev1.PodSpec) string {
			if len(p.ImagePullSecrets) != 1 || p.ImagePullSecrets[0].Name != "regcred" || p.ServiceAccountName != "zk" || ptr.Deref(p.AutomountServiceAccountToken, true) {
				return "pull secret, service account or token"
			}
			return ""
		}},
		{"token when asked", func(s *zkv1.ZKEnsembleSpec) { s.Pod.AutomountServiceAccountToken = true }, func(p corev1.PodSpec) string {
			if !ptr.Deref(p.AutomountServiceAccountToken, false) {
				return "no token"
			}
			return ""
		}},
		{"env, volumes and mounts after ours", func(s *zkv1.ZKEnsembleSpec) {
			s.Pod.Env = []corev1.EnvVar{{Name: "JVMFLAGS", Value: "-Xmx1g"}}
			s.Pod.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			s.Pod.VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
		}, func(p corev1.PodSpec) string {
			c := server(p)
			if c.Env[0].Name != podlayout.EnvPodNamespace || c.Env[len(c.Env)-1].Name != "JVMFLAGS" {
				return "env"
			}
			if c.VolumeMounts[len(c.VolumeMounts)-1].MountPath != "/scratch" || p.Volumes[len(p.Volumes)-1].Name != "scratch" {
				return "volume or mount"
			}
			return ""
		}},
		{"sidecar and init container", func(s *zkv1.ZKEnsembleSpec) {
			s.Pod.Containers = []corev1.Container{sidecar}
			s.Pod.InitContainers = []corev1.Container{{Name: "wait", Image: "busybox"}}
			s.Storage.VolumePermissions = true
		}, func(p corev1.PodSpec) string {
			if len(p.Containers) != 2 || p.Containers[0].Name != podlayout.ServerContainer || p.Containers[1].Name != "log-shipper" {
				return "containers"
			}
			if len(p.InitContainers) != 2 || p.InitContainers[0].Name != podlayout.VolumePermissionsContainer || p.InitContainers[1].Name != "wait" {
				return "init containers: volume permissions first"
			}
			return ""
		}},
		{"probe timings", func(s *zkv1.ZKEnsembleSpec) {
			s.Pod.ReadinessProbe = &zkv1.ProbeTimings{PeriodSeconds: ptr.To(int32(5)), FailureThreshold: ptr.To(int32(6))}
			s.Pod.LivenessProbe = &zkv1.ProbeTimings{InitialDelaySeconds: ptr.To(int32(30)), TimeoutSeconds: ptr.To(int32(4))}
		}, func(p corev1.PodSpec) string {
			r, l := server(p).ReadinessProbe, server(p).LivenessProbe
			if r.PeriodSeconds != 5 || r.FailureThreshold != 6 || r.TimeoutSeconds != 2 || r.HTTPGet.Path != "/readyz" {
				return "readiness"
			}
			if l.InitialDelaySeconds != 30 || l.TimeoutSeconds != 4 || l.PeriodSeconds != 10 {
				return "liveness"
			}
			return ""
		}},
		{"data log volume", func(s *zkv1.ZKEnsembleSpec) {
			s.Storage.DataLog = &zkv1.DataLogStorage{}
			s.Storage.VolumePermissions = true
		}, func(p corev1.PodSpec) string {
			if !slices.ContainsFunc(server(p).VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == podlayout.VolumeDataLog && m.MountPath == podlayout.DataLogDir
			}) {
				return "server does not mount the log volume"
			}
			if script := p.InitContainers[0].Command[3]; !strings.Contains(script, podlayout.DataLogDir) {
				return "volume permissions leave the log volume alone"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if msg := tc.check(render(tc.mut)); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

// TestVolumeClaimTemplates: the log volume gets its own claim template and
// zoo.cfg its dataLogDir; an existing template keeps its size (templates
// are immutable; claims are expanded instead).
func TestVolumeClaimTemplates(t *testing.T) {
	gi, two, fast := resource.MustParse("1Gi"), resource.MustParse("2Gi"), "fast"
	zke := newZKE("ns", "vols", func(z *zkv1.ZKEnsemble) {
		z.Spec.Storage = zkv1.StorageSpec{Size: &two, DataLog: &zkv1.DataLogStorage{StorageClassName: &fast}}
	})
	rd := newRender(zke, "img", defaultClusterDomain)
	claims := rd.statefulSet(3).Spec.VolumeClaimTemplates
	if len(claims) != 2 || claims[0].Name != podlayout.VolumeData || claims[1].Name != podlayout.VolumeDataLog ||
		ptr.Deref(claims[1].Spec.StorageClassName, "") != "fast" || claims[1].Spec.Resources.Requests.Storage().Cmp(gi) != 0 ||
		claims[0].Spec.Resources.Requests.Storage().Cmp(two) != 0 {
		t.Fatalf("claim templates %+v", claims)
	}
	if cfg := renderZooCfg(&zke.Spec); !strings.Contains(cfg, "\ndataLogDir="+podlayout.DataLogDir+"\n") {
		t.Fatalf("zoo.cfg without dataLogDir:\n%s", cfg)
	}
	old := claims[0].DeepCopy()
	old.Spec.Resources.Requests[corev1.ResourceStorage] = gi
	rd.claims = []corev1.PersistentVolumeClaim{*old}
	if got := rd.statefulSet(3).Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage(); got.Cmp(gi) != 0 {
		t.Fatalf("an existing template changed size to %s", got)
	}
	zke.Spec.Storage.DataLog = nil
	if cfg := renderZooCfg(&zke.Spec); strings.Contains(cfg, "dataLogDir") {
		t.Fatalf("dataLogDir without a log volume:\n%s", cfg)
	}
}

// TestClientServiceSettings: annotations and load-balancer settings reach
// the client Service.
func TestClientServiceSettings(t *testing.T) {
	zke := newZKE("ns", "lb", func(z *zkv1.ZKEnsemble) {
		z.Spec.ClientService = zkv1.ClientServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
			Annotations:              map[string]string{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8"}, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal}
	})
	svc := newRender(zke, "img", defaultClusterDomain).clientService()
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] != "true" ||
		!slices.Equal(svc.Spec.LoadBalancerSourceRanges, []string{"10.0.0.0/8"}) || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Fatalf("client Service %+v", svc)
	}
}

// TestPodLayoutNames: every name, path and port the operator renders into
// a member pod is in pkg/podlayout's reserved lists, so admission refuses
// a user's setting that would collide with it.
func TestPodLayoutNames(t *testing.T) {
	zke := newZKE("ns", "all", func(z *zkv1.ZKEnsemble) {
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSOptional}
		z.Spec.Auth = zkv1.AuthSpec{SASLUsersSecret: "users",
			SuperDigest: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "su"}, Key: "digest"}}
		z.Spec.Storage = zkv1.StorageSpec{VolumePermissions: true, DataLog: &zkv1.DataLogStorage{}}
	})
	sts := newRender(zke, "img", defaultClusterDomain).statefulSet(3)
	p := sts.Spec.Template.Spec
	for _, c := range append(p.InitContainers, p.Containers...) {
		if !slices.Contains(podlayout.ReservedContainers(), c.Name) {
			t.Errorf("container %q is not reserved", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if !podlayout.OverReservedPath(m.MountPath) {
				t.Errorf("mount %s of %s is not under a reserved path", m.MountPath, c.Name)
			}
		}
	}
	for _, v := range p.Volumes {
		if !slices.Contains(podlayout.ReservedVolumes(), v.Name) {
			t.Errorf("volume %q is not reserved", v.Name)
		}
	}
	for _, c := range sts.Spec.VolumeClaimTemplates {
		if !slices.Contains(podlayout.ReservedVolumes(), c.Name) {
			t.Errorf("claim template %q is not reserved", c.Name)
		}
	}
	for _, e := range p.Containers[0].Env {
		if !slices.Contains(podlayout.ReservedEnv(), e.Name) {
			t.Errorf("variable %q is not reserved", e.Name)
		}
	}
	for _, port := range p.Containers[0].Ports {
		if !slices.Contains(podlayout.ReservedPorts(), port.ContainerPort) {
			t.Errorf("port %d is not reserved", port.ContainerPort)
		}
	}
}
