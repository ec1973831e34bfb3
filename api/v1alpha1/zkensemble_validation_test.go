package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func i32(v int32) *int32 { return &v }

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		spec    ZKEnsembleSpec
		wantErr string // substring of the first error, "" for valid
		warn    bool
	}{
		{"defaults derived from tickTime", ZKEnsembleSpec{Replicas: 3, TickTime: 2000}, "", false},
		{"explicit bounds inside the rule", ZKEnsembleSpec{Replicas: 3, TickTime: 2000, MinSessionTimeout: i32(4000), MaxSessionTimeout: i32(40000)}, "", false},
		{"min below 2 ticks", ZKEnsembleSpec{Replicas: 3, TickTime: 2000, MinSessionTimeout: i32(3000)}, "at least 2*tickTime (4000 ms)", false},
		{"max above 20 ticks warns", ZKEnsembleSpec{Replicas: 3, TickTime: 3000, MaxSessionTimeout: i32(900000)}, "", true},
		{"min above max", ZKEnsembleSpec{Replicas: 3, TickTime: 2000, MinSessionTimeout: i32(30000), MaxSessionTimeout: i32(20000)}, "exceeds maxSessionTimeout", false},
		{"min above the derived max", ZKEnsembleSpec{Replicas: 3, TickTime: 100, MinSessionTimeout: i32(5000)}, "exceeds maxSessionTimeout (2000 ms)", false},
		{"tickTime out of bounds", ZKEnsembleSpec{Replicas: 3, TickTime: 5}, "between 10 and 60000", false},
		{"no members", ZKEnsembleSpec{Replicas: 0, TickTime: 2000}, "at least 1 member", false},
		{"even replicas warn", ZKEnsembleSpec{Replicas: 4, TickTime: 2000}, "", true},
		{"127 voters and 127 observers", ZKEnsembleSpec{Replicas: 127, Observers: 127, TickTime: 2000}, "", false},
		{"128 voters", ZKEnsembleSpec{Replicas: 128, TickTime: 2000}, "add observers (spec.observers)", true},
		{"128 observers", ZKEnsembleSpec{Replicas: 3, Observers: 128, TickTime: 2000}, "lower observers", false},
	}
	for _, tc := range tests {
		errs, warnings := tc.spec.Validate()
		switch {
		case tc.wantErr == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", tc.name, errs)
		case tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr)):
			t.Errorf("%s: got %v, want %q", tc.name, errs, tc.wantErr)
		}
		if (len(warnings) > 0) != tc.warn {
			t.Errorf("%s: warnings %v", tc.name, warnings)
		}
	}
	spec := ZKEnsembleSpec{Replicas: 3, TickTime: 2000}
	if min, max := spec.SessionTimeouts(); min != 4000 || max != 40000 {
		t.Fatalf("derived bounds %d %d", min, max)
	}
	if spec.MinSessionTimeout != nil || spec.MaxSessionTimeout != nil {
		t.Fatal("deriving wrote into the spec")
	}
}

func TestValidateUpdate(t *testing.T) {
	gi := resource.MustParse("1Gi")
	two := resource.MustParse("2Gi")
	fast, slow := "fast", "slow"
	base := ZKEnsembleSpec{Replicas: 5, TickTime: 2000, Storage: StorageSpec{Size: &gi, StorageClassName: &fast}}
	tests := []struct {
		name    string
		mutate  func(s *ZKEnsembleSpec)
		wantErr string
		warn    string
	}{
		{"scale up", func(s *ZKEnsembleSpec) { s.Replicas = 7 }, "", ""},
		{"scale down by one", func(s *ZKEnsembleSpec) { s.Replicas = 3 }, "", ""},
		{"scale down by a majority is staged", func(s *ZKEnsembleSpec) { s.Replicas = 1 }, "", "one member at a time"},
		{"size grows", func(s *ZKEnsembleSpec) { s.Storage.Size = &two }, "", ""},
		{"size shrinks", func(s *ZKEnsembleSpec) { half := resource.MustParse("512Mi"); s.Storage.Size = &half }, "volumes never shrink (from 1Gi)", ""},
		{"data log added", func(s *ZKEnsembleSpec) { s.Storage.DataLog = &DataLogStorage{} }, "cannot be added or removed", ""},
		{"class change", func(s *ZKEnsembleSpec) { s.Storage.StorageClassName = &slow }, "create a new ZKEnsemble", ""},
		{"owned key in extraConfig", func(s *ZKEnsembleSpec) { s.ExtraConfig = map[string]string{"server.1": "x:1:2"} }, "set by the operator", ""},
		{"read-only mode in extraConfig", func(s *ZKEnsembleSpec) { s.ExtraConfig = map[string]string{"readonlymode.enabled": "true"} }, "set by the operator", ""},
		{"free key in extraConfig", func(s *ZKEnsembleSpec) { s.ExtraConfig = map[string]string{"globalOutstandingLimit": "2000"} }, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := *base.DeepCopy()
			tc.mutate(&n)
			errs, warnings := n.ValidateUpdate(&base)
			if tc.wantErr == "" && len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr)) {
				t.Fatalf("errors %v, want one containing %q", errs, tc.wantErr)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(warnings, ";"), tc.warn) {
				t.Fatalf("warnings %v, want %q", warnings, tc.warn)
			}
		})
	}
}
