package controller

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// createYAML creates an object written as YAML, as a user would kubectl
// apply it.
func (cl *cluster) createYAML(t *testing.T, ns, doc string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatalf("test object: %v", err)
	}
	u.SetNamespace(ns)
	if err := cl.c.Create(context.Background(), u); err != nil {
		t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// getObject reads an object as unstructured.
func (cl *cluster) getObject(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := cl.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("getting %s %s: %v", gvk.Kind, name, err)
	}
	return u
}

var (
	vsGVK    = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	routeGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
)

// weights returns the weights of a VirtualService route's destinations,
// keyed by subset or host.
func weights(t *testing.T, vs *unstructured.Unstructured, route string) map[string]int64 {
	t.Helper()
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	for _, r := range routes {
		rm := r.(map[string]any)
		if rm["name"] != route {
			continue
		}
		out := map[string]int64{}
		dests, _, _ := unstructured.NestedSlice(rm, "route")
		for _, d := range dests {
			dm := d.(map[string]any)
			key, _, _ := unstructured.NestedString(dm, "destination", "subset")
			if key == "" {
				key, _, _ = unstructured.NestedString(dm, "destination", "host")
			}
			w, _, _ := unstructured.NestedInt64(dm, "weight")
			out[key] = w
		}
		return out
	}
	t.Fatalf("route %q not found in %v", route, routes)
	return nil
}

// releaseYAML is a Release for a namespace, with its spec as YAML.
func releaseYAML(name, spec string) string {
	return "apiVersion: sluice.dev/v1alpha1\nkind: Release\nmetadata:\n  name: " + name + "\nspec:\n" + spec
}
