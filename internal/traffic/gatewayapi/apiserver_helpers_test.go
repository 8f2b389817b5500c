package gatewayapi

import (
	"context"
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/test/e2e/envtest"
)

// userManager is the field manager the tests create objects with, as
// kubectl or a GitOps tool would.
const userManager = "user"

// startEnv runs a real kube-apiserver whose client knows Gateway API's
// typed objects, which is how the tests create what a user would write.
func startEnv(t *testing.T) *envtest.Env {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := gatewayv1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	return envtest.Start(t, envtest.WithScheme(scheme))
}

// createRoute creates the typed HTTPRoute written in manifest in ns.
func createRoute(ctx context.Context, t *testing.T, c client.Client, ns, manifest string) {
	t.Helper()
	obj := &gatewayv1.HTTPRoute{}
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("test manifest: %v", err)
	}
	obj.SetNamespace(ns)
	if err := c.Create(ctx, obj, client.FieldOwner(userManager)); err != nil {
		t.Fatalf("creating HTTPRoute %s: %v", obj.GetName(), err)
	}
}

// getRoute reads the HTTPRoute as stored.
func getRoute(ctx context.Context, t *testing.T, c client.Client, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(httpRouteGVK)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("reading HTTPRoute %s: %v", name, err)
	}
	return u
}

// userView is the object minus what the API server itself changes on a
// write (resourceVersion, generation, managedFields): what must be equal
// byte for byte where Sluice did not write.
func userView(t *testing.T, u *unstructured.Unstructured) map[string]any {
	t.Helper()
	o := runtime.DeepCopyJSON(u.Object)
	md := o["metadata"].(map[string]any)
	for _, k := range []string{"resourceVersion", "generation", "managedFields"} {
		delete(md, k)
	}
	return o
}

func routeRules(t *testing.T, o map[string]any) []any {
	t.Helper()
	rules, ok, err := unstructured.NestedSlice(o, "spec", "rules")
	if err != nil || !ok {
		t.Fatalf("spec.rules: found=%v err=%v", ok, err)
	}
	return rules
}

// setBackendRefs replaces spec.rules[i].backendRefs in an expected object.
func setBackendRefs(t *testing.T, o map[string]any, i int, refs string) {
	t.Helper()
	rules := routeRules(t, o)
	rules[i].(map[string]any)["backendRefs"] = fromYAML(t, refs)
	if err := unstructured.SetNestedSlice(o, rules, "spec", "rules"); err != nil {
		t.Fatal(err)
	}
}

// sameObject fails unless got and want are equal as JSON.
func sameObject(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := toJSON(t, got), toJSON(t, want)
	if g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// checkSplit checks that every rule with more than one backendRef splits
// 0..100 between them, summing to 100.
func checkSplit(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	h, err := decodeHTTPRoute(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.rules {
		if isMatchRuleName(r.name) || len(r.refs) < 2 {
			continue
		}
		var sum int64
		for j := range r.refs {
			w := r.share(j)
			if w < 0 || w > 100 {
				t.Errorf("%s: weight %d out of 0..100", r.label(), w)
			}
			sum += w
		}
		if sum != 100 {
			t.Errorf("%s: weights sum to %d, want 100", r.label(), sum)
		}
	}
}

// managedFieldsOf returns the fields a manager owns, as the nested "f:"
// keys the API server records.
func managedFieldsOf(t *testing.T, u *unstructured.Unstructured, manager string) map[string]any {
	t.Helper()
	for _, e := range u.GetManagedFields() {
		if e.Manager != manager || e.FieldsV1 == nil {
			continue
		}
		var set map[string]any
		if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &set); err != nil {
			t.Fatal(err)
		}
		return set
	}
	return nil
}
