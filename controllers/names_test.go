package controllers

import (
	"slices"
	"strings"
	"testing"

	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// TestClusterDomain renders two ensembles for reconcilers in different
// cluster domains: each one's member names, certificate names and pod
// domain are in its own domain (it was a package variable, shared).
func TestClusterDomain(t *testing.T) {
	for _, tc := range []struct{ domain, host string }{
		{"cluster.local", "d-0.d-peers.ns.svc.cluster.local"},
		{"corp.example", "d-0.d-peers.ns.svc.corp.example"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			rd := newRender(newZKE("ns", "d"), "img", tc.domain)
			if got := rd.n.host(1); got != tc.host {
				t.Errorf("host(1) = %q, want %q", got, tc.host)
			}
			if hosts := rd.n.hosts(1); !slices.Contains(hosts, "d-client.ns.svc."+tc.domain) {
				t.Errorf("hosts(1) = %v: no client Service name in %s", hosts, tc.domain)
			}
			want := "--" + podlayout.FlagPodDomain + "=d-peers.$(POD_NAMESPACE).svc." + tc.domain
			var args []string
			for _, c := range rd.statefulSet(3).Spec.Template.Spec.Containers {
				args = append(args, c.Args...)
			}
			if !slices.Contains(args, want) {
				t.Errorf("container args %s: no %s", strings.Join(args, " "), want)
			}
		})
	}
}
