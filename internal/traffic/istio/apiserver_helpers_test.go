package istio

import (
	"context"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

// startEnv runs a real kube-apiserver whose client knows Istio's typed
// objects, which is how the tests create what a user would write.
func startEnv(t *testing.T) *envtest.Env {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := networkingv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return envtest.Start(t, envtest.WithScheme(scheme))
}

// createYAML creates the typed Istio object written in manifest in ns.
func createYAML(ctx context.Context, t *testing.T, c client.Client, ns, manifest string) {
	t.Helper()
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(manifest), &meta); err != nil {
		t.Fatalf("test manifest: %v", err)
	}
	var obj client.Object
	switch meta.Kind {
	case "VirtualService":
		obj = &networkingv1.VirtualService{}
	case "DestinationRule":
		obj = &networkingv1.DestinationRule{}
	default:
		t.Fatalf("test manifest of kind %q", meta.Kind)
	}
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("test manifest: %v", err)
	}
	obj.SetNamespace(ns)
	if err := c.Create(ctx, obj, client.FieldOwner(testutil.UserManager)); err != nil {
		t.Fatalf("creating %s %s: %v", meta.Kind, obj.GetName(), err)
	}
}

// getVS reads the VirtualService as stored.
func getVS(ctx context.Context, t *testing.T, c client.Client, ns, name string) *unstructured.Unstructured {
	t.Helper()
	return testutil.Get(ctx, t, c, virtualServiceGVK, ns, name)
}

func httpRoutes(t *testing.T, o map[string]any) []any {
	t.Helper()
	return testutil.List(t, o, "spec", "http")
}

// setRouteList replaces spec.http[i].route in an expected object.
func setRouteList(t *testing.T, o map[string]any, i int, list string) {
	t.Helper()
	testutil.SetInList(t, o, i, "route", list, "spec", "http")
}

// checkSplit checks that every route with a stable and a canary
// destination splits 0..100 between them, summing to 100.
func checkSplit(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	vs, err := decodeVirtualService(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range vs.routes {
		if isMatchRouteName(rt.name) || len(rt.dests) < 2 {
			continue
		}
		var sum int64
		for j := range rt.dests {
			w := rt.share(j)
			if w < 0 || w > 100 {
				t.Errorf("%s: weight %d out of 0..100", rt.label(), w)
			}
			sum += w
		}
		if sum != 100 {
			t.Errorf("%s: weights sum to %d, want 100", rt.label(), sum)
		}
	}
}
