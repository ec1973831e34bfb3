package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// TestChartREADMEUpToDate: the chart's README carries the table its
// values.yaml gives (go run ./hack/chartdoc charts/zkensemble-operator).
func TestChartREADMEUpToDate(t *testing.T) {
	if err := run("../../charts/zkensemble-operator", true); err != nil {
		t.Fatal(err)
	}
}

func TestValuesTable(t *testing.T) {
	values := `# Image of the operator.
image:
  repository: zkensemble/manager
  # Overrides the chart's appVersion.
  tag: "v1 | beta"
replicas: 1
enabled: false
empty: {}
list: [a, b]
nothing:
`
	got, err := valuesTable([]byte(values))
	if err != nil {
		t.Fatal(err)
	}
	want := "| Key | Type | Default | Description |\n|---|---|---|---|\n" +
		"| `image.repository` | string | `\"zkensemble/manager\"` | Image of the operator. |\n" +
		"| `image.tag` | string | `\"v1 \\| beta\"` | Overrides the chart's appVersion. |\n" +
		"| `replicas` | number | `1` |  |\n" +
		"| `enabled` | bool | `false` |  |\n" +
		"| `empty` | object | `{}` |  |\n" +
		"| `list` | list | `[\"a\",\"b\"]` |  |\n" +
		"| `nothing` | null | `null` |  |\n"
	if string(got) != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestReplaceTable(t *testing.T) {
	for _, tc := range []struct{ readme, want, err string }{
		{"a\n<!-- values:start -->\nold\n<!-- values:end -->\nb\n", "a\n<!-- values:start -->\nT\n<!-- values:end -->\nb\n", ""},
		{"no markers\n", "", "no <!-- values:start --> line"},
		{"<!-- values:start -->\n", "", "no <!-- values:end --> line"},
	} {
		got, err := replaceTable([]byte(tc.readme), []byte("T\n"))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.readme, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: got %q %v, want %q", tc.readme, got, err, tc.want)
		}
	}
}

// TestArtifactHubAnnotations: the chart's Artifact Hub annotations parse, list
// every CRD the chart installs, and name both images for both platforms.
func TestArtifactHubAnnotations(t *testing.T) {
	const chart = "../../charts/zkensemble-operator"
	b, err := os.ReadFile(chart + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := sigsyaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	var crds []struct{ Kind, Version, Name string }
	if err := sigsyaml.Unmarshal([]byte(c.Annotations["artifacthub.io/crds"]), &crds); err != nil {
		t.Fatalf("artifacthub.io/crds: %v", err)
	}
	listed := map[string]bool{}
	for _, d := range crds {
		listed[d.Name] = d.Kind != "" && d.Version != ""
	}
	files, err := filepath.Glob(chart + "/crds/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s/crds: %v", chart, err)
	}
	for _, f := range files {
		var crd struct {
			Metadata struct{ Name string } `json:"metadata"`
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.Unmarshal(raw, &crd); err != nil {
			t.Fatal(err)
		}
		if !listed[crd.Metadata.Name] {
			t.Errorf("CRD %s (%s) is not in artifacthub.io/crds (with kind and version)", crd.Metadata.Name, filepath.Base(f))
		}
	}
	var images []struct {
		Name, Image string
		Platforms   []string
	}
	if err := sigsyaml.Unmarshal([]byte(c.Annotations["artifacthub.io/images"]), &images); err != nil {
		t.Fatalf("artifacthub.io/images: %v", err)
	}
	if len(images) != 2 {
		t.Fatalf("artifacthub.io/images lists %d images, want manager and server", len(images))
	}
	for _, im := range images {
		if !strings.HasPrefix(im.Image, "docker.io/zkensemble/"+im.Name+":") || strings.Join(im.Platforms, ",") != "linux/amd64,linux/arm64" {
			t.Errorf("image %+v", im)
		}
	}
	for _, k := range []string{"artifacthub.io/category", "artifacthub.io/operator", "artifacthub.io/links", "artifacthub.io/crdsExamples"} {
		if c.Annotations[k] == "" {
			t.Errorf("no %s annotation", k)
		}
	}
}
