package controllers

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// render builds the objects a ZKEnsemble owns, as complete desired states
// for server-side apply. Pure: everything comes from the arguments.
type render struct {
	zke         *zkv1.ZKEnsemble
	n           names
	serverImage string // used when the spec names none
	// claims are the StatefulSet's claim templates as they exist (immutable).
	claims []corev1.PersistentVolumeClaim
	// boot is the resolved spec.bootstrap (bootstrap.go); nil: none.
	boot *zkv1.BootstrapStatus
}

func newRender(zke *zkv1.ZKEnsemble, serverImage, clusterDomain string) render {
	return render{zke: zke, n: names{zke, clusterDomain}, serverImage: serverImage}
}

func (r render) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: r.zke.Namespace, Labels: r.n.labels(),
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: zkv1.GroupVersion.String(), Kind: "ZKEnsemble", Name: r.zke.Name, UID: r.zke.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}},
	}
}

func (r render) image() string {
	if r.zke.Spec.Image != "" {
		return r.zke.Spec.Image
	}
	return r.serverImage
}

func (r render) memberPorts() []corev1.ServicePort {
	var ports []corev1.ServicePort
	for _, p := range r.containerPorts() {
		ports = append(ports, corev1.ServicePort{Name: p.Name, Port: p.ContainerPort, TargetPort: intstr.FromString(p.Name)})
	}
	return ports
}

// peerService is the headless Service that gives every member a stable DNS
// name, published before the pod is ready: a joining member must be reachable
// before it is in the configuration.
func (r render) peerService() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(r.n.peers()),
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone, PublishNotReadyAddresses: true,
			Selector: r.n.selector(), Ports: r.memberPorts(),
		},
	}
}

// clientService is what clients connect to: ready members only.
func (r render) clientService() *corev1.Service {
	cs := r.zke.Spec.ClientService
	typ := cs.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(r.n.client()),
		Spec: corev1.ServiceSpec{
			Type: typ, Selector: r.n.selector(),
			Ports: r.clientServicePorts(),
		},
	}
	r.clientServiceSettings(svc)
	return svc
}

// configMap carries zoo.cfg and the bootstrap list. bootstrap is true only
// until a server list has first been published: after that an empty volume
// always joins, so a lost volume can never bootstrap a second ensemble.
func (r render) configMap(bootstrap bool) *corev1.ConfigMap {
	boot := ""
	if bootstrap {
		boot = "1\n"
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.n.config()),
		Data:       map[string]string{podlayout.ZooCfg: renderZooCfg(&r.zke.Spec), podlayout.BootstrapFile: boot},
	}
}

// serversConfigMap is the published server list (only its publisher's keys).
func (r render) serversConfigMap(connect string, version int64, members string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.n.servers()),
		Data: map[string]string{
			keyConnectString: connect,
			keyVersion:       fmt.Sprint(version),
			keyMembers:       members,
		},
	}
}

// statefulSet runs the members. Replicas are the membership controller's
// (one step at a time); updates are OnDelete so the controller rolls the
// pods itself, followers first and the leader last.
func (r render) statefulSet(replicas int32) *appsv1.StatefulSet {
	sts := r.statefulSetBase(replicas)
	r.addBootstrap(&sts.Spec.Template.Spec) // spec.bootstrap's seed member (bootstrap.go)
	return sts
}

func (r render) statefulSetBase(replicas int32) *appsv1.StatefulSet {
	spec := &r.zke.Spec
	podLabels := map[string]string{}
	for k, v := range spec.PodLabels {
		podLabels[k] = v
	}
	for k, v := range r.n.labels() {
		podLabels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range spec.PodAnnotations {
		annotations[k] = v
	}
	annotations[configHashAnnotation] = configHash(renderZooCfg(spec))
	copyRestartedAt(r.zke, annotations)
	if spec.Metrics.Enabled {
		annotations["prometheus.io/scrape"] = "true"
		annotations["prometheus.io/port"] = fmt.Sprint(podlayout.ProbePort)
		annotations["prometheus.io/path"] = "/metrics"
	}
	retain := appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	if spec.Storage.VolumeReclaimPolicy == "Retain" {
		retain = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	pullPolicy := r.pullPolicy()
	probe := func(path string, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("probe")}},
			PeriodSeconds: period, TimeoutSeconds: 2, FailureThreshold: 3,
		}
	}
	container := corev1.Container{
		Name: "server", Image: r.image(), ImagePullPolicy: pullPolicy,
		Args: []string{
			podlayout.ConfigDir + "/" + podlayout.ZooCfg,
			"--" + podlayout.FlagPodDomain + "=" + fmt.Sprintf("%s.$(POD_NAMESPACE).svc.%s", r.n.peers(), r.n.domain),
			"--" + podlayout.FlagBootstrapFile + "=" + podlayout.ConfigDir + "/" + podlayout.BootstrapFile,
			"--" + podlayout.FlagEnsembleID + "=" + string(r.zke.UID),
			// Member certificates (certificates.go): mutual TLS between
			// members, HTTPS on the admin port to the operator only.
			"--" + podlayout.FlagTLSDir + "=" + podlayout.TLSDir,
		},
		Env:   []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}},
		Ports: r.containerPorts(),
		// Ready: in the configuration and caught up (a ReadIndex round).
		ReadinessProbe: withTimings(probe("/readyz", 2), spec.Pod.ReadinessProbe),
		// Alive: the process answers, with or without a quorum.
		LivenessProbe: withTimings(probe("/healthz", 10), spec.Pod.LivenessProbe),
		Resources:     spec.Resources,
		VolumeMounts: append([]corev1.VolumeMount{
			{Name: "data", MountPath: podlayout.DataDir},
			{Name: "config", MountPath: podlayout.ConfigDir, ReadOnly: true},
			{Name: "tls", MountPath: podlayout.TLSDir, ReadOnly: true},
		}, r.dataLogMounts()...),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true), RunAsNonRoot: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	r.addClientSecurity(&container)
	var initContainers []corev1.Container
	if spec.Storage.VolumePermissions {
		initContainers = append(initContainers, r.volumePermissions())
	}
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: r.meta(r.n.statefulSet()),
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(replicas),
			ServiceName:         r.n.peers(),
			Selector:            &metav1.LabelSelector{MatchLabels: r.n.selector()},
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenScaled: retain, WhenDeleted: retain,
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: annotations},
				Spec: corev1.PodSpec{
					InitContainers:                initContainers,
					Containers:                    []corev1.Container{container},
					Tolerations:                   spec.Tolerations,
					NodeSelector:                  spec.NodeSelector,
					TopologySpreadConstraints:     spec.TopologySpreadConstraints,
					PriorityClassName:             spec.PriorityClassName,
					TerminationGracePeriodSeconds: ptr.To(int64(30)),
					// Pod Security "restricted": non-root, RuntimeDefault seccomp, and
					// the volume handed to the server's group by fsGroup (changed only
					// when its root does not belong to it yet).
					SecurityContext: &corev1.PodSecurityContext{
						RunAsUser: ptr.To(int64(65532)), RunAsGroup: ptr.To(int64(65532)), FSGroup: ptr.To(int64(65532)),
						FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
						RunAsNonRoot:        ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Volumes: append([]corev1.Volume{
						{Name: "config", VolumeSource: corev1.VolumeSource{
							ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: r.n.config()}},
						}},
						// Every pod mounts all members' certificates and picks its own by id;
						// readable by the server's group (fsGroup) only.
						{Name: "tls", VolumeSource: corev1.VolumeSource{
							Secret: &corev1.SecretVolumeSource{SecretName: r.n.tlsSecret(), DefaultMode: ptr.To(int32(0o440))},
						}},
					}, r.securityVolumes()...),
				},
			},
			VolumeClaimTemplates: r.volumeClaims(r.claims),
		},
	}
	r.addPodSettings(&sts.Spec.Template.Spec, &sts.Spec.Template.Spec.Containers[0])
	return sts
}

// volumePermissions hands the data volume to the server's user when the
// volume's provisioner ignores fsGroup (hostPath and its provisioners, as on
// single-node clusters), only when spec.storage.volumePermissions asks for
// it. It runs as root with CAP_CHOWN only, and changes nothing on a volume
// that already belongs to the server.
func (r render) volumePermissions() corev1.Container {
	return corev1.Container{
		Name: "volume-permissions", Image: r.image(), ImagePullPolicy: r.pullPolicy(),
		Command:      []string{"/bin/busybox", "sh", "-c", r.chownVolumes()},
		VolumeMounts: append([]corev1.VolumeMount{{Name: "data", MountPath: podlayout.DataDir}}, r.dataLogMounts()...),
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr.To(int64(0)), RunAsNonRoot: ptr.To(false), AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"CHOWN"}},
		},
	}
}

func (r render) pullPolicy() corev1.PullPolicy {
	if r.zke.Spec.ImagePullPolicy == "" {
		return corev1.PullIfNotPresent
	}
	return r.zke.Spec.ImagePullPolicy
}

// pdb keeps voluntary disruptions within what the quorum tolerates:
// (voters-1)/2 members down at once. With fewer than 3 voters nothing can be
// disrupted safely, and a budget of 0 would block node drains forever, so
// none is rendered unless the spec sets one.
func (r render) pdb(voters int32) *policyv1.PodDisruptionBudget {
	var maxUnavailable intstr.IntOrString
	switch {
	case r.zke.Spec.DisruptionBudget != nil && r.zke.Spec.DisruptionBudget.MaxUnavailable != nil:
		maxUnavailable = *r.zke.Spec.DisruptionBudget.MaxUnavailable
	case voters >= 3:
		maxUnavailable = intstr.FromInt32((voters - 1) / 2)
	default:
		return nil
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: r.meta(r.n.pdb()),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &maxUnavailable,
			Selector:       r.n.voterSelector(), // observers are no part of the quorum
		},
	}
}
