package webhook

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// The same rules reach users through the API server in the controllers'
// envtest suite; here each message is checked without one.
func TestValidator(t *testing.T) {
	base := func(mut func(*zkv1.ZKEnsembleSpec)) *zkv1.ZKEnsemble {
		z := &zkv1.ZKEnsemble{ObjectMeta: metav1.ObjectMeta{Name: "z"}, Spec: zkv1.ZKEnsembleSpec{Replicas: 3, TickTime: 2000}}
		if mut != nil {
			mut(&z.Spec)
		}
		return z
	}
	create := []struct {
		name, wantErr, wantWarn string
		mut                     func(*zkv1.ZKEnsembleSpec)
	}{
		{name: "valid"},
		{name: "even replicas warn", mut: func(s *zkv1.ZKEnsembleSpec) { s.Replicas = 4 }, wantWarn: "prefer an odd number"},
		{name: "min below 2 ticks", mut: func(s *zkv1.ZKEnsembleSpec) { s.MinSessionTimeout = ptr.To(int32(1000)) }, wantErr: "must be at least 2*tickTime (4000 ms): raise it or lower tickTime to at most 500"},
		{name: "max above 20 ticks warns", mut: func(s *zkv1.ZKEnsembleSpec) { s.MaxSessionTimeout = ptr.To(int32(60000)) }, wantWarn: "raise tickTime to at least 3000"},
		{name: "min above max", mut: func(s *zkv1.ZKEnsembleSpec) {
			s.MinSessionTimeout, s.MaxSessionTimeout = ptr.To(int32(30000)), ptr.To(int32(20000))
		}, wantErr: "exceeds maxSessionTimeout"},
		{name: "derived max below a given min", mut: func(s *zkv1.ZKEnsembleSpec) { s.TickTime, s.MinSessionTimeout = 100, ptr.To(int32(5000)) }, wantErr: "exceeds maxSessionTimeout (2000 ms)"},
		{name: "tickTime too large", mut: func(s *zkv1.ZKEnsembleSpec) { s.TickTime = 120000 }, wantErr: "between 10 and 60000"},
		{name: "no members", mut: func(s *zkv1.ZKEnsembleSpec) { s.Replicas = 0 }, wantErr: "at least 1 member"},
		{name: "read-only mode in extraConfig", mut: func(s *zkv1.ZKEnsembleSpec) { s.ExtraConfig = map[string]string{"readonlymode.enabled": "true"} }, wantErr: "use the spec field for it"},
		{name: "server lines in extraConfig", mut: func(s *zkv1.ZKEnsembleSpec) { s.ExtraConfig = map[string]string{"server.4": "h:2888:3888"} }, wantErr: "membership lives in the ensemble"},
	}
	for _, tc := range create {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := Validator{}.ValidateCreate(context.Background(), base(tc.mut))
			check(t, err, warnings, tc.wantErr, tc.wantWarn)
		})
	}
	update := []struct {
		name, wantErr, wantWarn string
		mut                     func(*zkv1.ZKEnsembleSpec)
	}{
		{name: "scale down 5 to 1 is staged", mut: func(s *zkv1.ZKEnsembleSpec) { s.Replicas = 1 }, wantWarn: "one member at a time"},
		{name: "storage grows", mut: func(s *zkv1.ZKEnsembleSpec) { q := resource.MustParse("9Gi"); s.Storage.Size = &q }, wantWarn: "1Gi → 9Gi: each member's PVC is expanded"},
		{name: "storage never shrinks", mut: func(s *zkv1.ZKEnsembleSpec) { q := resource.MustParse("512Mi"); s.Storage.Size = &q }, wantErr: "volumes never shrink (from 1Gi)"},
		{name: "storage class", mut: func(s *zkv1.ZKEnsembleSpec) { s.Storage.StorageClassName = ptr.To("other") }, wantErr: "create a new ZKEnsemble"},
	}
	for _, tc := range update {
		t.Run("update "+tc.name, func(t *testing.T) {
			old := base(func(s *zkv1.ZKEnsembleSpec) { s.Replicas = 5 })
			warnings, err := Validator{}.ValidateUpdate(context.Background(), old, base(func(s *zkv1.ZKEnsembleSpec) {
				s.Replicas = 5
				tc.mut(s)
			}))
			check(t, err, warnings, tc.wantErr, tc.wantWarn)
		})
	}
}

func check(t *testing.T, err error, warnings []string, wantErr, wantWarn string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("rejected: %v", err)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Fatalf("error %v; want one containing %q", err, wantErr)
	case wantWarn != "" && !strings.Contains(strings.Join(warnings, ";"), wantWarn):
		t.Fatalf("warnings %v; want %q", warnings, wantWarn)
	}
}
