package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// DefaultVolumeSize is a member volume's size when the spec names none.
var DefaultVolumeSize = resource.MustParse("1Gi")

// validatePod refuses pod settings that would replace or shadow what the
// server needs (pkg/podlayout's names, paths and ports), saying what to
// rename. The CRD's CEL rules say the same (TestPodSettingsAdmission).
func (s *ZKEnsembleSpec) validatePod() (errs field.ErrorList) {
	pod := field.NewPath("spec", "pod")
	p := &s.Pod
	for i, e := range p.Env {
		if slices.Contains(podlayout.ReservedEnv(), e.Name) {
			errs = append(errs, field.Invalid(pod.Child("env").Index(i).Child("name"), e.Name,
				"set by the operator: rename the variable (spec.auth.superDigest sets the super user)"))
		}
	}
	for i, v := range p.Volumes {
		if slices.Contains(podlayout.ReservedVolumes(), v.Name) {
			errs = append(errs, field.Invalid(pod.Child("volumes").Index(i).Child("name"), v.Name,
				fmt.Sprintf("the server's volume names (%s) are taken: rename the volume", strings.Join(podlayout.ReservedVolumes(), ", "))))
		}
	}
	for i, m := range p.VolumeMounts {
		if podlayout.OverReservedPath(m.MountPath) {
			errs = append(errs, field.Invalid(pod.Child("volumeMounts").Index(i).Child("mountPath"), m.MountPath,
				fmt.Sprintf("over or under the server's paths (%s): mount elsewhere", strings.Join(podlayout.ReservedPaths(), ", "))))
		}
	}
	errs = append(errs, validateContainers(pod.Child("containers"), p.Containers, true)...)
	errs = append(errs, validateContainers(pod.Child("initContainers"), p.InitContainers, false)...)
	return append(errs, s.ClientService.validate()...)
}

// validate refuses load-balancer settings on a Service type without them.
func (cs *ClientServiceSpec) validate() (errs field.ErrorList) {
	path := field.NewPath("spec", "clientService")
	if len(cs.LoadBalancerSourceRanges) > 0 && cs.Type != corev1.ServiceTypeLoadBalancer {
		errs = append(errs, field.Invalid(path.Child("loadBalancerSourceRanges"), cs.LoadBalancerSourceRanges,
			"loadBalancerSourceRanges needs type LoadBalancer: set clientService.type or drop the ranges"))
	}
	if cs.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && cs.Type != corev1.ServiceTypeNodePort && cs.Type != corev1.ServiceTypeLoadBalancer {
		errs = append(errs, field.Invalid(path.Child("externalTrafficPolicy"), cs.ExternalTrafficPolicy,
			"externalTrafficPolicy Local needs type NodePort or LoadBalancer: set clientService.type or drop the policy"))
	}
	return errs
}

// validateContainers refuses the operator's container names and, for
// sidecars (which share the pod's network), the server's ports.
func validateContainers(path *field.Path, cs []corev1.Container, sidecar bool) (errs field.ErrorList) {
	for i, c := range cs {
		if slices.Contains(podlayout.ReservedContainers(), c.Name) {
			errs = append(errs, field.Invalid(path.Index(i).Child("name"), c.Name,
				fmt.Sprintf("the operator's container names (%s) are taken: rename the container", strings.Join(podlayout.ReservedContainers(), ", "))))
		}
		if !sidecar {
			continue
		}
		for j, port := range c.Ports {
			if slices.Contains(podlayout.ReservedPorts(), port.ContainerPort) {
				errs = append(errs, field.Invalid(path.Index(i).Child("ports").Index(j).Child("containerPort"), port.ContainerPort,
					"sidecars share the server's network and this port is the server's: listen on another port"))
			}
		}
	}
	return errs
}

// VolumeSize is the size of each member's data volume.
func (s *StorageSpec) VolumeSize() resource.Quantity {
	if s.Size != nil {
		return *s.Size
	}
	return DefaultVolumeSize
}

// DataLogSize is the size of each member's log volume (dataLog set).
func (s *StorageSpec) DataLogSize() resource.Quantity {
	if s.DataLog != nil && s.DataLog.Size != nil {
		return *s.DataLog.Size
	}
	return DefaultVolumeSize
}

// validateStorageUpdate lets volumes grow (the operator expands each PVC
// when the StorageClass allows it) and refuses what cannot be done in
// place: shrinking, and adding or removing the log volume.
func (s *ZKEnsembleSpec) validateStorageUpdate(old *ZKEnsembleSpec) (errs field.ErrorList) {
	storage := field.NewPath("spec", "storage")
	if now, was := s.Storage.VolumeSize(), old.Storage.VolumeSize(); now.Cmp(was) < 0 {
		errs = append(errs, field.Forbidden(storage.Child("size"), fmt.Sprintf(
			"volumes never shrink (from %s): keep %s or more, or create a new ZKEnsemble with smaller volumes and move the data", &was, &was)))
	}
	if (s.Storage.DataLog == nil) != (old.Storage.DataLog == nil) {
		errs = append(errs, field.Forbidden(storage.Child("dataLog"),
			"storage.dataLog cannot be added or removed on a running ensemble (the transaction log would be left behind): create a new ZKEnsemble and move the data"))
		return errs
	}
	if s.Storage.DataLog == nil {
		return errs
	}
	if now, was := s.Storage.DataLogSize(), old.Storage.DataLogSize(); now.Cmp(was) < 0 {
		errs = append(errs, field.Forbidden(storage.Child("dataLog", "size"), fmt.Sprintf("volumes never shrink (from %s): keep %s or more", &was, &was)))
	}
	if !strPtrEqual(old.Storage.DataLog.StorageClassName, s.Storage.DataLog.StorageClassName) {
		errs = append(errs, field.Forbidden(storage.Child("dataLog", "storageClassName"),
			"dataLog.storageClassName cannot change: create a new ZKEnsemble and move the data"))
	}
	return errs
}
