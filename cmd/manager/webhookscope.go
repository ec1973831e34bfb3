package main

import (
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// The manager may read and patch one ValidatingWebhookConfiguration, its
// own: its ClusterRole names it in resourceNames. The API server authorizes
// a list or watch under resourceNames only with a metadata.name field
// selector, which cert-controller's rotator does not send (it lists them
// all through a cache of its own). scopedManager hands the rotator an API
// configuration that adds the selector to those requests.
type scopedManager struct {
	manager.Manager
	cfg *rest.Config
}

func (m scopedManager) GetConfig() *rest.Config { return m.cfg }

// scopeWebhookListing returns mgr with an API configuration whose lists and
// watches of ValidatingWebhookConfigurations select the one named name.
func scopeWebhookListing(mgr manager.Manager, name string) manager.Manager {
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &nameSelector{next: rt, name: name} })
	return scopedManager{Manager: mgr, cfg: cfg}
}

const webhookConfigsPath = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"

// nameSelector adds metadata.name=<name> to list and watch requests of
// ValidatingWebhookConfigurations (a GET of the collection).
type nameSelector struct {
	next http.RoundTripper
	name string
}

func (n *nameSelector) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, webhookConfigsPath) {
		return n.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	q := req.URL.Query()
	sel := "metadata.name=" + n.name
	if cur := q.Get("fieldSelector"); cur != "" {
		sel = cur + "," + sel
	}
	q.Set("fieldSelector", sel)
	req.URL.RawQuery = q.Encode()
	return n.next.RoundTrip(req)
}
