// Package v1alpha1 is the ZKEnsemble API (group zookeeper.zkensemble.io):
// a replicated ZooKeeper-compatible ensemble run by the zkensemble operator.
// +kubebuilder:object:generate=true
// +groupName=zookeeper.zkensemble.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API's group and version.
var GroupVersion = schema.GroupVersion{Group: "zookeeper.zkensemble.io", Version: "v1alpha1"}

// SchemeBuilder registers the API's types.
var SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ZKEnsemble{}, &ZKEnsembleList{}, &ZKBackup{}, &ZKBackupList{})
	metav1AddToGroupVersion(s)
	return nil
})

// AddToScheme adds the API's types to a scheme.
var AddToScheme = SchemeBuilder.AddToScheme
