package convert

import (
	"bytes"
	"strings"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// TestWrite checks the stream sluice convert prints: the report as
// comments above the Release, every object under a comment saying why,
// a Release that decodes strictly, and values YAML 1.1 would misread kept
// as strings.
func TestWrite(t *testing.T) {
	in := mustParse(t, "argo-istio-hosts.yaml")
	results, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, in, results); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	docs := v1alpha1.Documents(b.Bytes())
	if len(docs) != 1+len(results[0].Objects) {
		t.Fatalf("%d documents, want the Release and %d objects", len(docs), len(results[0].Objects))
	}
	rel, err := v1alpha1.DecodeRelease(docs[0])
	if err != nil {
		t.Fatalf("the Release does not decode as lint decodes it: %v", err)
	}
	if rel.Spec.Traffic.Match[0].Headers["x-canary"].Exact != "yes" {
		t.Errorf("the header value yes was not kept a string: %+v", rel.Spec.Traffic.Match)
	}
	for _, want := range []string{
		"# Converted by sluice convert from Argo Rollout shop/checkout: ",
		"# Not mapped:\n#   Rollout shop/checkout spec.analysis: Sluice keeps no analysis runs",
		"# Mapped, but not one for one:",
		"# Notes:\n#   - set each new version on checkout-canary",
		"# The Rollout's pod template: checkout-stable serves users",
		"# Not written here, unchanged: VirtualService shop/checkout.",
		"apiVersion: sluice.dev/v1alpha1\nkind: Release\nmetadata:\n  name: checkout\n",
		"    query: |\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "#") && len(line) > 110 {
			t.Errorf("comment line of %d columns: %s", len(line), line)
		}
	}

	var report bytes.Buffer
	if err := WriteReport(&report, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Rollout shop/checkout spec.strategy.canary.canaryService → spec.traffic.istio.canary.host\n",
		"Rollout shop/checkout spec.restartAt: not mapped: restart the Deployments with kubectl rollout restart\n",
	} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
