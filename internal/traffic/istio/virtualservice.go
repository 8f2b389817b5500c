package istio

import (
	"context"
	"fmt"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

var (
	virtualServiceGVK  = networkingv1.SchemeGroupVersion.WithKind("VirtualService")
	destinationRuleGVK = networkingv1.SchemeGroupVersion.WithKind("DestinationRule")

	// specPath is where the Istio settings live in a Release; every
	// ConfigError points below it so the user knows what to edit.
	specPath = field.NewPath("spec", "traffic", "istio")
)

// virtualService is the object exactly as stored, plus a decoded view of
// its HTTP routes. The stored form is kept because the patch's test
// operations must pin values as the server has them (a weight the user
// never wrote is absent, not 0); decoding through the typed API would lose
// that difference.
type virtualService struct {
	obj    *unstructured.Unstructured
	routes []httpRoute // spec.http, in order, same indexes
}

// httpRoute is one element of spec.http.
type httpRoute struct {
	index int
	name  string
	raw   map[string]any // as stored
	dests []destination  // its route list, in order
}

// destination is one element of an HTTP route's route list.
type destination struct {
	host, subset string
	weight       int64
	hasWeight    bool
	raw          map[string]any // {destination: {...}, weight: n}, as stored
}

// target is an HTTP route Sluice weights: where its stable and canary
// destinations are in its route list.
type target struct {
	route  *httpRoute
	stable int
	canary int // -1 when the route has no canary destination yet
}

func (v *virtualService) describe() string {
	return fmt.Sprintf("VirtualService %s/%s", v.obj.GetNamespace(), v.obj.GetName())
}

// readVirtualService gets and decodes the VirtualService. A missing object
// is a ConfigError unless missingOK, when it returns nil, nil.
func readVirtualService(ctx context.Context, c client.Reader, namespace, name string, missingOK bool) (*virtualService, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(virtualServiceGVK)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			if missingOK {
				return nil, nil
			}
			return nil, kubeerr.Config(specPath.Child("virtualService").String(), describe("VirtualService", namespace, name),
				"VirtualService %s/%s not found", namespace, name)
		}
		return nil, fmt.Errorf("reading VirtualService %s/%s: %w", namespace, name, err)
	}
	return decodeVirtualService(obj)
}

// decodeVirtualService reads the HTTP routes of a stored VirtualService.
func decodeVirtualService(obj *unstructured.Unstructured) (*virtualService, error) {
	vs := &virtualService{obj: obj}
	malformed := func(format string, args ...any) error {
		return kubeerr.Config(specPath.Child("virtualService").String(), vs.describe(), "%s is malformed: %s", vs.describe(), fmt.Sprintf(format, args...))
	}
	spec, _ := obj.Object["spec"].(map[string]any)
	rawHTTP, ok := spec["http"]
	if !ok || rawHTTP == nil {
		return vs, nil
	}
	http, ok := rawHTTP.([]any)
	if !ok {
		return nil, malformed("spec.http is not a list")
	}
	for i, el := range http {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, malformed("spec.http[%d] is not an object", i)
		}
		rt := httpRoute{index: i, raw: m}
		rt.name, _ = m["name"].(string)
		list, _ := m["route"].([]any)
		for j, d := range list {
			dm, ok := d.(map[string]any)
			if !ok {
				return nil, malformed("spec.http[%d].route[%d] is not an object", i, j)
			}
			dest, _ := dm["destination"].(map[string]any)
			host, _ := dest["host"].(string)
			subset, _ := dest["subset"].(string)
			w, hasWeight, ok := routeutil.Number(dm["weight"])
			if !ok {
				return nil, malformed("spec.http[%d].route[%d].weight is not a number", i, j)
			}
			rt.dests = append(rt.dests, destination{host: host, subset: subset, weight: w, hasWeight: hasWeight, raw: dm})
		}
		vs.routes = append(vs.routes, rt)
	}
	return vs, nil
}

// checkDestinationRule makes sure the DestinationRule exists and defines
// the subsets the Release names; without them Istio answers 503.
func checkDestinationRule(ctx context.Context, c client.Reader, namespace, name string, stable, canary string) error {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(destinationRuleGVK)
	what := describe("DestinationRule", namespace, name)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return kubeerr.Config(specPath.Child("destinationRule").String(), what, "%s not found", what)
		}
		return fmt.Errorf("reading %s: %w", what, err)
	}
	have := map[string]bool{}
	subsets, _, _ := unstructured.NestedSlice(obj.Object, "spec", "subsets")
	for _, s := range subsets {
		if m, ok := s.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				have[n] = true
			}
		}
	}
	for _, want := range []struct{ side, subset string }{{"stable", stable}, {"canary", canary}} {
		if want.subset != "" && !have[want.subset] {
			return kubeerr.Config(specPath.Child(want.side, "subset").String(), what,
				"%s has no subset %q (it has %s)", what, want.subset, listNames(have))
		}
	}
	return nil
}

func describe(kind, namespace, name string) string {
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}

func listNames(set map[string]bool) string {
	if len(set) == 0 {
		return "none"
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, fmt.Sprintf("%q", n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
