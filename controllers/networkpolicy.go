package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// operatorPodLabels select the operator's pods (the chart's and
// config/manager's Deployment both carry them).
var operatorPodLabels = map[string]string{"app.kubernetes.io/name": "zkensemble-operator"}

// networkPolicy admits, to the members: the client ports from
// spec.networkPolicy.clientFrom (anywhere when empty); the quorum and
// election ports from the ensemble's members only; the admin port from the
// members, the operator's pods (in operatorNS) and the ensemble's backup Jobs; the probe port from
// anywhere (the kubelet's probes come from the node). Everything else is
// refused where the cluster enforces NetworkPolicy.
func (r render) networkPolicy(operatorNS string) *networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	port := func(p int32) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: ptrIntOrString(intstr.FromInt32(p))}
	}
	members := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: r.n.selector()}}
	operator := networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": operatorNS}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: operatorPodLabels},
	}
	// The ensemble's backup Jobs (backup_job.go), which the member still
	// asks for their backup certificate.
	backups := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
		"app.kubernetes.io/name": backupPodName, "app.kubernetes.io/instance": r.zke.Name}}}
	var clientPorts []networkingv1.NetworkPolicyPort
	for _, p := range r.clientPorts() {
		clientPorts = append(clientPorts, port(p.ContainerPort))
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: r.meta(r.n.networkPolicy()),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: r.n.selector()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{Ports: clientPorts, From: r.zke.Spec.NetworkPolicy.ClientFrom},
				{Ports: []networkingv1.NetworkPolicyPort{port(podlayout.QuorumPort), port(podlayout.ElectionPort)}, From: []networkingv1.NetworkPolicyPeer{members}},
				{Ports: []networkingv1.NetworkPolicyPort{port(podlayout.AdminPort)}, From: []networkingv1.NetworkPolicyPeer{members, operator, backups}},
				{Ports: []networkingv1.NetworkPolicyPort{port(podlayout.ProbePort)}},
			},
		},
	}
}

func ptrIntOrString(v intstr.IntOrString) *intstr.IntOrString { return &v }

// applyNetworkPolicy renders the policy, or removes it when the spec turns it off.
func (p *pass) applyNetworkPolicy(ctx context.Context) error {
	if !p.zke.Spec.NetworkPolicyEnabled() {
		old := &networkingv1.NetworkPolicy{}
		old.Name, old.Namespace = p.n.networkPolicy(), p.zke.Namespace
		return client.IgnoreNotFound(p.r.Delete(ctx, old))
	}
	return p.apply(ctx, p.rd.networkPolicy(p.r.operatorNamespace()), fieldOwner)
}
