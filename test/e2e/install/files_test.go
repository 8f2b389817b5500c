package install

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// The CRD is generated into config/crd/bases by hack/generate.sh; the chart
// ships a copy, because helm only installs CRDs from its own crds/ folder.
const (
	generatedCRD = "config/crd/bases/sluice.dev_releases.yaml"
	chartCRD     = "charts/sluice/crds/sluice.dev_releases.yaml"
)

// TestChartCRDIsTheGeneratedOne keeps the chart's copy of the CRD from
// drifting from the one generated from the Go types.
func TestChartCRDIsTheGeneratedOne(t *testing.T) {
	want := readFile(t, generatedCRD)
	got := readFile(t, chartCRD)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from %s (regenerated without updating the chart?); run\n  cp %s %s",
			chartCRD, generatedCRD, generatedCRD, chartCRD)
	}
}

// TestSamplesAreTheExamples keeps config/samples (what `kubectl apply -k
// config/samples` installs) the same as the commented, user-facing
// examples/kubernetes files, apart from their header comments.
func TestSamplesAreTheExamples(t *testing.T) {
	samples := yamlFiles(t, "config/samples")
	examples := yamlFiles(t, "examples/kubernetes")
	samples = slices.DeleteFunc(samples, func(s string) bool { return s == "kustomization.yaml" })
	if !slices.Equal(samples, examples) {
		t.Fatalf("config/samples has %v but examples/kubernetes has %v; keep one sample per example", samples, examples)
	}
	for _, name := range samples {
		example := string(readFile(t, filepath.Join("examples/kubernetes", name)))
		if !strings.HasPrefix(example, "# ") {
			t.Errorf("examples/kubernetes/%s: starts without a comment saying what the setup is", name)
		}
		want := withoutHeader(example)
		got := string(readFile(t, filepath.Join("config/samples", name)))
		if got != want {
			t.Errorf("config/samples/%s differs from examples/kubernetes/%s without its header comment; copy it over", name, name)
		}
	}
}

// TestExamplesValidate runs every Kubernetes example through the path
// `sluice lint` takes: strict decoding, defaults, validation.
func TestExamplesValidate(t *testing.T) {
	names := yamlFiles(t, "examples/kubernetes")
	if len(names) < 4 {
		t.Fatalf("want an example for each of the four setups, found %v", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rel, err := v1alpha1.DecodeRelease(readFile(t, filepath.Join("examples/kubernetes", name)))
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			rel.Default()
			for _, e := range rel.Validate() {
				t.Errorf("%s", v1alpha1.FormatError(e))
			}
		})
	}
}

// withoutHeader drops the comment lines before the first line of YAML.
func withoutHeader(s string) string {
	lines := strings.SplitAfter(s, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "#") {
		i++
	}
	return strings.Join(lines[i:], "")
}

// yamlFiles lists the .yaml files of a directory (relative to the root).
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	return names
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
