package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// TestScopeWebhookListing: lists and watches of ValidatingWebhookConfigurations
// through the rotator's configuration carry the metadata.name selector the
// API server needs to authorize them under resourceNames; other requests
// are left alone.
func TestScopeWebhookListing(t *testing.T) {
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got[r.URL.Path] = r.URL.Query().Get("fieldSelector")
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	mgr, err := ctrl.NewManager(&rest.Config{Host: srv.URL}, ctrl.Options{Metrics: server.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	scoped := scopeWebhookListing(mgr, "mine")
	if mgr.GetConfig().WrapTransport != nil {
		t.Fatal("the manager's own configuration was changed")
	}
	hc, err := rest.HTTPClientFor(scoped.GetConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		webhookConfigsPath + "?watch=true",
		webhookConfigsPath + "?fieldSelector=a%3Db",
		webhookConfigsPath + "/other",
		"/api/v1/namespaces/x/secrets",
	} {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got[webhookConfigsPath] != "a=b,metadata.name=mine" {
		t.Errorf("list selector %q", got[webhookConfigsPath])
	}
	if got[webhookConfigsPath+"/other"] != "" || got["/api/v1/namespaces/x/secrets"] != "" {
		t.Errorf("other requests changed: %v", got)
	}
}
