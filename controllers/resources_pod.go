package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// addPodSettings adds spec.pod to a member pod: the user's variables,
// mounts, volumes, sidecars and init containers after the operator's own
// (admission refuses names, paths and ports that would collide), the pull
// secrets, the service account, and the spread across nodes.
func (r render) addPodSettings(pod *corev1.PodSpec, server *corev1.Container) {
	ps := &r.zke.Spec.Pod
	server.Env = append(server.Env, ps.Env...)
	server.VolumeMounts = append(server.VolumeMounts, ps.VolumeMounts...)
	pod.Volumes = append(pod.Volumes, ps.Volumes...)
	pod.InitContainers = append(pod.InitContainers, ps.InitContainers...)
	pod.Containers = append(pod.Containers, ps.Containers...)
	pod.ImagePullSecrets = ps.ImagePullSecrets
	pod.ServiceAccountName = ps.ServiceAccountName
	// Members never call the Kubernetes API: no token unless a sidecar asks.
	pod.AutomountServiceAccountToken = &ps.AutomountServiceAccountToken
	pod.Affinity = r.affinity()
}

// affinity is the user's, with the members spread across nodes unless it
// has a podAntiAffinity of its own or spec.pod.antiAffinity is None.
func (r render) affinity() *corev1.Affinity {
	spec := &r.zke.Spec
	a := spec.Affinity.DeepCopy()
	if a != nil && a.PodAntiAffinity != nil {
		return a
	}
	term := corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: r.n.selector()},
		TopologyKey:   podlayout.HostnameTopology,
	}
	var anti *corev1.PodAntiAffinity
	switch spec.Pod.AntiAffinity {
	case zkv1.AntiAffinityNone:
		return a
	case zkv1.AntiAffinityRequired:
		anti = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}}
	default:
		anti = &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: term}}}
	}
	if a == nil {
		a = &corev1.Affinity{}
	}
	a.PodAntiAffinity = anti
	return a
}

// withTimings overrides a probe's timings with the spec's, where set.
func withTimings(p *corev1.Probe, t *zkv1.ProbeTimings) *corev1.Probe {
	if t == nil {
		return p
	}
	set := func(dst *int32, src *int32) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.InitialDelaySeconds, t.InitialDelaySeconds)
	set(&p.PeriodSeconds, t.PeriodSeconds)
	set(&p.TimeoutSeconds, t.TimeoutSeconds)
	set(&p.FailureThreshold, t.FailureThreshold)
	return p
}

// volumeClaims are the StatefulSet's claim templates: the data volume and,
// with spec.storage.dataLog, the log volume. A template is immutable once
// the StatefulSet exists, so an existing one keeps its size (cur): a larger
// spec size is carried out by expanding each claim (expandVolumes), and a
// new member's claim, created at the old size, is expanded the same way.
func (r render) volumeClaims(cur []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
	st := &r.zke.Spec.Storage
	claims := []corev1.PersistentVolumeClaim{r.claim(podlayout.VolumeData, st.VolumeSize(), st.StorageClassName, cur)}
	if st.DataLog != nil {
		claims = append(claims, r.claim(podlayout.VolumeDataLog, st.DataLogSize(), st.DataLog.StorageClassName, cur))
	}
	return claims
}

func (r render) claim(name string, size resource.Quantity, class *string, cur []corev1.PersistentVolumeClaim) corev1.PersistentVolumeClaim {
	for _, c := range cur {
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok && c.Name == name {
			size = q
		}
	}
	return corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: r.n.selector()},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: class,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
}

// dataLogMount is the server's log volume mount, with spec.storage.dataLog.
func (r render) dataLogMounts() []corev1.VolumeMount {
	if r.zke.Spec.Storage.DataLog == nil {
		return nil
	}
	return []corev1.VolumeMount{{Name: podlayout.VolumeDataLog, MountPath: podlayout.DataLogDir}}
}

// clientServiceSettings adds the spec's annotations and load-balancer
// settings to the client Service.
func (r render) clientServiceSettings(svc *corev1.Service) {
	cs := &r.zke.Spec.ClientService
	if len(cs.Annotations) > 0 {
		svc.Annotations = map[string]string{}
		for k, v := range cs.Annotations {
			svc.Annotations[k] = v
		}
	}
	svc.Spec.LoadBalancerSourceRanges = cs.LoadBalancerSourceRanges
	svc.Spec.ExternalTrafficPolicy = cs.ExternalTrafficPolicy
}

// chownVolumes is the volume-permissions script: each member volume is
// handed to the server's user unless it already belongs to it.
func (r render) chownVolumes() string {
	dirs := []string{podlayout.DataDir}
	if r.zke.Spec.Storage.DataLog != nil {
		dirs = append(dirs, podlayout.DataLogDir)
	}
	script := ""
	for i, d := range dirs {
		if i > 0 {
			script += " && "
		}
		script += fmt.Sprintf(`{ [ "$(/bin/busybox stat -c %%u:%%g %[1]s)" = 65532:65532 ] || /bin/busybox chown -R 65532:65532 %[1]s; }`, d)
	}
	return script
}
