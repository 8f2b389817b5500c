package gatewayapi

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

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
	if err := c.Create(ctx, obj, client.FieldOwner(testutil.UserManager)); err != nil {
		t.Fatalf("creating HTTPRoute %s: %v", obj.GetName(), err)
	}
}

// getRoute reads the HTTPRoute as stored.
func getRoute(ctx context.Context, t *testing.T, c client.Client, ns, name string) *unstructured.Unstructured {
	t.Helper()
	return testutil.Get(ctx, t, c, httpRouteGVK, ns, name)
}

func routeRules(t *testing.T, o map[string]any) []any {
	t.Helper()
	return testutil.List(t, o, "spec", "rules")
}

// setBackendRefs replaces spec.rules[i].backendRefs in an expected object.
func setBackendRefs(t *testing.T, o map[string]any, i int, refs string) {
	t.Helper()
	testutil.SetInList(t, o, i, "backendRefs", refs, "spec", "rules")
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
