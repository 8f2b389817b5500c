package testutil

import (
	"encoding/json"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// FromYAML decodes s the way the unstructured client decodes what the
// server stores, with integers as int64, so it compares equal to a read.
func FromYAML(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("test YAML: %v", err)
	}
	// Through unstructured's decoder so numbers are int64, as stored.
	u := &unstructured.Unstructured{}
	wrapped, _ := json.Marshal(map[string]any{"kind": "X", "apiVersion": "v1", "v": v})
	if err := u.UnmarshalJSON(wrapped); err != nil {
		t.Fatal(err)
	}
	return u.Object["v"]
}

// ToJSON encodes v, failing the test if it cannot.
func ToJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ApplyPatch applies a JSON patch (anything that encodes as one) to doc
// the way the API server does, and decodes the result as the unstructured
// client does, with integers as int64.
func ApplyPatch(t *testing.T, doc map[string]any, ops any) map[string]any {
	t.Helper()
	p, err := jsonpatch.DecodePatch([]byte(ToJSON(t, ops)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply([]byte(ToJSON(t, doc)))
	if err != nil {
		t.Fatalf("applying the patch: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	return u.Object
}
