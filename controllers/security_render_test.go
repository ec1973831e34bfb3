package controllers

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/certs"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// parseAsServer reads a rendered zoo.cfg with the server's own parser, as
// a member in pod mode does (the member's certificate files from --tls-dir).
func parseAsServer(t *testing.T, zoo string) sessionserver.Config {
	t.Helper()
	cfg := sessionserver.DefaultConfig()
	if err := cfg.Parse(strings.NewReader(zoo), "zoo.cfg"); err != nil {
		t.Fatalf("the server refuses the rendered zoo.cfg: %v\n%s", err, zoo)
	}
	cfg.Client.PodFiles = certs.Files{Cert: podlayout.TLSDir + "/member-1.crt", Key: podlayout.TLSDir + "/member-1.key", CA: podlayout.TLSDir + "/" + podlayout.CAFile}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the server refuses the rendered zoo.cfg: %v\n%s", err, zoo)
	}
	return cfg
}

// TestZooCfgClientSecurity: each spec.tls/spec.auth renders a zoo.cfg the
// server takes, with the ports, client certificates and authentication
// the spec asks for.
func TestZooCfgClientSecurity(t *testing.T) {
	users := zkv1.AuthSpec{SASLUsersSecret: "users", SuperUsers: []string{"admin"}, Required: []zkv1.AuthScheme{"sasl"}}
	tests := []struct {
		name               string
		tls                zkv1.TLSSpec
		auth               zkv1.AuthSpec
		plain, secure      int
		clientAuth         certs.ClientAuth
		sasl, x509, custom bool
		enforce            []string
	}{
		{"disabled", zkv1.TLSSpec{}, zkv1.AuthSpec{}, 2181, -1, certs.ClientAuthNeed, false, false, false, nil},
		{"optional", zkv1.TLSSpec{Client: zkv1.ClientTLSOptional}, zkv1.AuthSpec{}, 2181, 2281, certs.ClientAuthNone, false, true, false, nil},
		{"required, sasl required", zkv1.TLSSpec{Client: zkv1.ClientTLSRequired, ClientAuth: zkv1.ClientCertWant}, users, -1, 2281, certs.ClientAuthWant, true, true, false, []string{"sasl"}},
		{"sasl on the plain port", zkv1.TLSSpec{}, users, 2181, -1, certs.ClientAuthNeed, true, false, false, []string{"sasl"}},
		{"cert-manager", zkv1.TLSSpec{Client: zkv1.ClientTLSRequired, ClientAuth: zkv1.ClientCertNeed, IssuerRef: &zkv1.IssuerRef{Name: "ca"}}, zkv1.AuthSpec{}, -1, 2281, certs.ClientAuthNeed, false, true, true, nil},
	}
	for _, tc := range tests {
		spec := zkv1.ZKEnsembleSpec{Replicas: 3, TickTime: 2000, TLS: tc.tls, Auth: tc.auth}
		cfg := parseAsServer(t, renderZooCfg(&spec))
		cs := cfg.Client
		if cfg.ClientPort != tc.plain || cs.SecureClientPort != tc.secure {
			t.Errorf("%s: ports %d/%d, want %d/%d", tc.name, cfg.ClientPort, cs.SecureClientPort, tc.plain, tc.secure)
		}
		if tc.secure > 0 && cs.ClientAuth != tc.clientAuth {
			t.Errorf("%s: ssl.clientAuth %v, want %v", tc.name, cs.ClientAuth, tc.clientAuth)
		}
		if cs.SASLProvider != tc.sasl || cs.X509Provider != tc.x509 {
			t.Errorf("%s: providers sasl=%v x509=%v", tc.name, cs.SASLProvider, cs.X509Provider)
		}
		if tc.sasl && (cs.SASLUsersDir != podlayout.SASLUsersDir || !slices.Equal(cs.SASLSuperUsers, []string{"admin"})) {
			t.Errorf("%s: users %q, super users %v", tc.name, cs.SASLUsersDir, cs.SASLSuperUsers)
		}
		if cs.EnforceAuth != (len(tc.enforce) > 0) || !slices.Equal(cs.EnforceSchemes, tc.enforce) {
			t.Errorf("%s: enforce %v %v, want %v", tc.name, cs.EnforceAuth, cs.EnforceSchemes, tc.enforce)
		}
		f := cs.TLSFiles()
		if tc.custom && (f.Cert != podlayout.ClientTLSDir+"/"+podlayout.ClientTLSCombinedFile || f.CA != podlayout.ClientTLSDir+"/ca.crt") {
			t.Errorf("%s: cert-manager's files %+v", tc.name, f)
		}
		if !tc.custom && tc.secure > 0 && f.Cert != cfg.Client.PodFiles.Cert {
			t.Errorf("%s: the secure port serves %+v, not the member's certificate", tc.name, f)
		}
	}
}

// TestZooCfgInjection is the attack of an extraConfig value with a newline
// (or a trailing backslash, a continuation line) that sets operator-owned
// or security keys: zoo.cfg must come out as if the entry were absent.
func TestZooCfgInjection(t *testing.T) {
	spec := zkv1.ZKEnsembleSpec{Replicas: 3, TickTime: 2000,
		TLS:  zkv1.TLSSpec{Client: zkv1.ClientTLSRequired, ClientAuth: zkv1.ClientCertNeed},
		Auth: zkv1.AuthSpec{SASLUsersSecret: "users", Required: []zkv1.AuthScheme{"sasl"}},
		ExtraConfig: map[string]string{
			"globalOutstandingLimit": "1000\nclientPort=2182\nenforce.auth.enabled=false\nssl.clientAuth=none",
			"a":                      `1\`, // continues onto the next line: b... would be swallowed or merged
			"ssl.clientAuth":         "none",
			"enforce.auth.enabled":   "false",
			"secureClientPort":       "0",
			"clientPort":             "2182",
			"x\nclientPort":          "2182",
		}}
	zoo := renderZooCfg(&spec)
	cfg := parseAsServer(t, zoo)
	if cfg.ClientPort != -1 || cfg.Client.SecureClientPort != podlayout.SecureClientPort {
		t.Errorf("ports %d/%d: the plain port was turned on", cfg.ClientPort, cfg.Client.SecureClientPort)
	}
	if cfg.Client.ClientAuth != certs.ClientAuthNeed || !cfg.Client.EnforceAuth {
		t.Errorf("clientAuth %v, enforce %v: extraConfig turned security off", cfg.Client.ClientAuth, cfg.Client.EnforceAuth)
	}
	for _, line := range strings.Split(zoo, "\n") {
		if strings.HasPrefix(line, "globalOutstandingLimit") || strings.HasPrefix(line, "a=") || strings.HasPrefix(line, "x") {
			t.Errorf("an unusable extraConfig entry was written: %q", line)
		}
	}
}

// TestPodSecurityRendering: members run without a root init container or a
// service-account token unless the spec asks for the init container, and
// mount the Secrets spec.auth names.
func TestPodSecurityRendering(t *testing.T) {
	zke := newZKE("ns", "sec", func(z *zkv1.ZKEnsemble) {
		z.Spec.TLS = zkv1.TLSSpec{Client: zkv1.ClientTLSOptional}
		z.Spec.Auth = zkv1.AuthSpec{SASLUsersSecret: "users",
			SuperDigest: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "su"}, Key: "digest"}}
	})
	sts := newRender(zke, "img", defaultClusterDomain).statefulSet(3)
	pod := sts.Spec.Template.Spec
	if len(pod.InitContainers) != 0 {
		t.Errorf("init containers %v: none without storage.volumePermissions", pod.InitContainers)
	}
	if ptr.Deref(pod.AutomountServiceAccountToken, true) {
		t.Error("member pods mount a service-account token")
	}
	if sc := pod.SecurityContext; sc.FSGroupChangePolicy == nil || *sc.FSGroupChangePolicy != corev1.FSGroupChangeOnRootMismatch || ptr.Deref(sc.FSGroup, 0) != 65532 {
		t.Errorf("pod security context %+v", sc)
	}
	ctr := pod.Containers[0]
	var ports []string
	for _, p := range ctr.Ports {
		ports = append(ports, p.Name)
	}
	if !slices.Contains(ports, "client") || !slices.Contains(ports, "secure-client") {
		t.Errorf("ports %v", ports)
	}
	if !slices.Contains(ctr.Args, "--superDigest=$(ZK_SUPER_DIGEST)") {
		t.Errorf("args %v", ctr.Args)
	}
	var env *corev1.EnvVar
	for i := range ctr.Env {
		if ctr.Env[i].Name == podlayout.EnvSuperDigest {
			env = &ctr.Env[i]
		}
	}
	if env == nil || env.ValueFrom == nil || env.ValueFrom.SecretKeyRef.Name != "su" || env.ValueFrom.SecretKeyRef.Key != "digest" {
		t.Errorf("super digest env %+v", env)
	}
	var users *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Secret != nil && pod.Volumes[i].Secret.SecretName == "users" {
			users = &pod.Volumes[i]
		}
	}
	if users == nil || !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == users.Name && m.MountPath == podlayout.SASLUsersDir }) {
		t.Errorf("the SASL users Secret is not mounted at %s: %v", podlayout.SASLUsersDir, ctr.VolumeMounts)
	}
	zke.Spec.Storage.VolumePermissions = true
	if init := newRender(zke, "img", defaultClusterDomain).statefulSet(3).Spec.Template.Spec.InitContainers; len(init) != 1 || init[0].Name != "volume-permissions" {
		t.Errorf("storage.volumePermissions: init containers %v", init)
	}
	svc := newRender(zke, "img", defaultClusterDomain).clientService()
	if len(svc.Spec.Ports) != 2 || svc.Spec.Ports[1].Port != podlayout.SecureClientPort {
		t.Errorf("client Service ports %v", svc.Spec.Ports)
	}
	zke.Spec.TLS.Client = zkv1.ClientTLSRequired
	svc = newRender(zke, "img", defaultClusterDomain).clientService()
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != podlayout.SecureClientPort {
		t.Errorf("TLS required: client Service ports %v", svc.Spec.Ports)
	}
	if got := newRender(zke, "img", defaultClusterDomain).publishedClientPort(); got != podlayout.SecureClientPort {
		t.Errorf("TLS required: members are added with client port %d", got)
	}
	if got := newRender(zke, "img", defaultClusterDomain).secureConnectString([]string{"a:2281", "b:2281"}); got != "a:2281,b:2281" {
		t.Errorf("secure connect string %q", got)
	}
}

// TestNetworkPolicyRendering: which peer reaches which port.
func TestNetworkPolicyRendering(t *testing.T) {
	zke := newZKE("ns", "np", func(z *zkv1.ZKEnsemble) { z.Spec.TLS.Client = zkv1.ClientTLSRequired })
	np := newRender(zke, "img", defaultClusterDomain).networkPolicy("ops")
	byPort := map[int32]networkingv1.NetworkPolicyIngressRule{}
	for _, r := range np.Spec.Ingress {
		for _, p := range r.Ports {
			byPort[p.Port.IntVal] = r
		}
	}
	if _, plain := byPort[podlayout.ClientPort]; plain {
		t.Error("TLS required, but the plain client port is admitted")
	}
	if r := byPort[podlayout.SecureClientPort]; len(r.From) != 0 {
		t.Errorf("secure client port from %v; want anywhere", r.From)
	}
	for _, p := range []int32{podlayout.QuorumPort, podlayout.ElectionPort} {
		r := byPort[p]
		if len(r.From) != 1 || r.From[0].PodSelector == nil || r.From[0].PodSelector.MatchLabels["app.kubernetes.io/instance"] != "np" || r.From[0].NamespaceSelector != nil {
			t.Errorf("port %d from %+v; want the members only", p, r.From)
		}
	}
	admin := byPort[podlayout.AdminPort]
	if len(admin.From) != 3 || admin.From[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "ops" ||
		admin.From[1].PodSelector.MatchLabels["app.kubernetes.io/name"] != "zkensemble-operator" ||
		admin.From[2].NamespaceSelector != nil || admin.From[2].PodSelector.MatchLabels["app.kubernetes.io/name"] != backupPodName ||
		admin.From[2].PodSelector.MatchLabels["app.kubernetes.io/instance"] != "np" {
		t.Errorf("admin port from %+v; want the members, the operator's pods and the ensemble's backup Jobs", admin.From)
	}
	if r, ok := byPort[podlayout.ProbePort]; !ok || len(r.From) != 0 {
		t.Errorf("probe port: %+v", r)
	}
}
