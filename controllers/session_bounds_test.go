package controllers

import (
	"context"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/sessionserver"
)

// warnings collects the API server's warning headers.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warnings) take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.Join(w.seen, "\n")
	w.seen = nil
	return s
}

// TestSessionBounds runs each session-bound case through the webhook's Go
// rules, through the CRD's CEL rules alone (an API server without the
// webhook), through both as users meet them, and, when accepted, through the
// server's own zoo.cfg parser: all must agree on accept or refuse, and each
// refusal and warning says how to fix it.
func TestSessionBounds(t *testing.T) {
	if testEnv == nil {
		t.Skip("envtest assets (kube-apiserver, etcd) not available")
	}
	tests := []struct {
		name     string
		tick     int32
		min, max *int32
		refused  bool
		cel      string // in the CEL-only refusal
		webhook  string // in the webhook's refusal or warning
	}{
		{name: "derived bounds", tick: 2000},
		{name: "explicit bounds inside 2..20 ticks", tick: 2000, min: ptr.To(int32(4000)), max: ptr.To(int32(40000))},
		{name: "max 30 ticks warns", tick: 2000, max: ptr.To(int32(60000)),
			webhook: "maxSessionTimeout=60000 ms is above 20*tickTime (40000 ms)"},
		{name: "max 30 ticks with min set warns", tick: 2000, min: ptr.To(int32(4000)), max: ptr.To(int32(60000)),
			webhook: "lower maxSessionTimeout to 40000 or raise tickTime to at least 3000"},
		{name: "HBase-style 90 s on a 3 s tick", tick: 3000, max: ptr.To(int32(90000)), webhook: "30 ticks"},
		{name: "min one tick refused", tick: 2000, min: ptr.To(int32(2000)), refused: true,
			cel: "minSessionTimeout must be at least 2*tickTime: raise minSessionTimeout or lower tickTime", webhook: "raise it or lower tickTime to at most 1000"},
		{name: "min above max refused", tick: 2000, min: ptr.To(int32(30000)), max: ptr.To(int32(20000)), refused: true,
			cel: "minSessionTimeout must not exceed maxSessionTimeout", webhook: "exceeds maxSessionTimeout (20000 ms)"},
		{name: "min above the derived max refused", tick: 100, min: ptr.To(int32(5000)), refused: true,
			cel: "exceeds the derived maxSessionTimeout", webhook: "exceeds maxSessionTimeout (2000 ms)"},
		{name: "max below the derived min refused", tick: 2000, max: ptr.To(int32(3000)), refused: true,
			cel: "below the derived minSessionTimeout", webhook: "below the derived minSessionTimeout (2*tickTime = 4000 ms)"},
	}
	ctx := context.Background()
	celOnly := bareEnv(t)
	celNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zke-bounds-"}}
	if err := celOnly.client.Create(ctx, celNS); err != nil {
		t.Fatal(err)
	}
	seen := &warnings{}
	cfg := rest.CopyConfig(testEnv.cfg)
	cfg.WarningHandler = seen
	both, err := client.New(cfg, client.Options{Scheme: testEnv.scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zke := newZKE(ns, "bounds", func(z *zkv1.ZKEnsemble) {
				z.Spec.TickTime, z.Spec.MinSessionTimeout, z.Spec.MaxSessionTimeout = tc.tick, tc.min, tc.max
			})
			// The webhook's Go rules.
			errs, warns := zke.Spec.Validate()
			hook := errs.ToAggregate()
			if (hook != nil) != tc.refused {
				t.Fatalf("webhook rules: refused=%v (%v), want %v", hook != nil, hook, tc.refused)
			}
			got := strings.Join(warns, "\n")
			if hook != nil {
				got = hook.Error()
			}
			if !strings.Contains(got, tc.webhook) || (tc.webhook == "") != (got == "") {
				t.Fatalf("webhook rules said %q; want %q", got, tc.webhook)
			}
			// The CRD's CEL rules alone.
			cel := zke.DeepCopy()
			cel.Namespace = celNS.Name
			err := celOnly.client.Create(ctx, cel, client.DryRunAll)
			if (err != nil) != tc.refused || (err != nil && !strings.Contains(err.Error(), tc.cel)) {
				t.Fatalf("CEL rules: %v; want refused=%v saying %q", err, tc.refused, tc.cel)
			}
			// Both, as a user meets them: the warning reaches the client.
			err = both.Create(ctx, zke.DeepCopy(), client.DryRunAll)
			said := seen.take()
			if (err != nil) != tc.refused {
				t.Fatalf("API server with the webhook: %v; want refused=%v", err, tc.refused)
			}
			if !tc.refused && tc.webhook != "" && !strings.Contains(said, tc.webhook) {
				t.Fatalf("warnings %q; want %q", said, tc.webhook)
			}
			if tc.refused {
				return
			}
			// The server accepts the zoo.cfg rendered from it.
			sc := sessionserver.DefaultConfig()
			if err := sc.Parse(strings.NewReader(renderZooCfg(&zke.Spec)), "zoo.cfg"); err != nil {
				t.Fatal(err)
			}
			if err := sc.Validate(); err != nil {
				t.Fatalf("the server refuses the rendered zoo.cfg: %v", err)
			}
			if min, max := zke.Spec.SessionTimeouts(); sc.MinTimeout() != min || sc.MaxTimeout() != max {
				t.Fatalf("server bounds %d..%d; want %d..%d", sc.MinTimeout(), sc.MaxTimeout(), min, max)
			}
		})
	}
}
