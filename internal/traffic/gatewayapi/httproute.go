package gatewayapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

var (
	httpRouteGVK = schema.GroupVersionKind{Group: gatewayv1.GroupVersion.Group, Version: gatewayv1.GroupVersion.Version, Kind: "HTTPRoute"}

	// specPath is where the Gateway API settings live in a Release; every
	// ConfigError points below it so the user knows what to edit.
	specPath = field.NewPath("spec", "traffic", "gatewayAPI")
)

// httpRoute is the object exactly as stored (with the CRD's defaults, such
// as weight 1), plus a decoded view of its rules. The stored form is kept
// because the patch's test operations must pin values as the server has
// them.
type httpRoute struct {
	obj   *unstructured.Unstructured
	rules []rule // spec.rules, in order, same indexes
}

// rule is one element of spec.rules.
type rule struct {
	index int
	name  string
	raw   map[string]any // as stored
	refs  []backendRef   // its backendRefs, in order
}

// backendRef is one element of a rule's backendRefs.
type backendRef struct {
	group, kind, name, namespace string
	weight                       int64
	hasWeight                    bool
	raw                          map[string]any // as stored
}

// target is a rule Sluice weights: where its stable and canary backendRefs
// are.
type target struct {
	rule   *rule
	stable int
	canary int // -1 when the rule has no canary backendRef yet
}

func (h *httpRoute) describe() string {
	return describe(h.obj.GetNamespace(), h.obj.GetName())
}

func describe(namespace, name string) string {
	return fmt.Sprintf("HTTPRoute %s/%s", namespace, name)
}

// readHTTPRoute gets and decodes the HTTPRoute. A missing object is a
// ConfigError unless missingOK, when it returns nil, nil.
func readHTTPRoute(ctx context.Context, c client.Reader, namespace, name string, missingOK bool) (*httpRoute, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(httpRouteGVK)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			if missingOK {
				return nil, nil
			}
			return nil, kubeerr.Config(specPath.Child("httpRoute").String(), describe(namespace, name),
				"%s not found", describe(namespace, name))
		}
		return nil, fmt.Errorf("reading %s: %w", describe(namespace, name), err)
	}
	return decodeHTTPRoute(obj)
}

// decodeHTTPRoute reads the rules of a stored HTTPRoute.
func decodeHTTPRoute(obj *unstructured.Unstructured) (*httpRoute, error) {
	h := &httpRoute{obj: obj}
	malformed := func(format string, args ...any) error {
		return kubeerr.Config(specPath.Child("httpRoute").String(), h.describe(), "%s is malformed: %s", h.describe(), fmt.Sprintf(format, args...))
	}
	spec, _ := obj.Object["spec"].(map[string]any)
	rawRules, ok := spec["rules"]
	if !ok || rawRules == nil {
		return h, nil
	}
	rules, ok := rawRules.([]any)
	if !ok {
		return nil, malformed("spec.rules is not a list")
	}
	for i, el := range rules {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, malformed("spec.rules[%d] is not an object", i)
		}
		r := rule{index: i, raw: m}
		r.name, _ = m["name"].(string)
		refs, _ := m["backendRefs"].([]any)
		for j, el := range refs {
			rm, ok := el.(map[string]any)
			if !ok {
				return nil, malformed("spec.rules[%d].backendRefs[%d] is not an object", i, j)
			}
			ref := backendRef{raw: rm}
			ref.group, _ = rm["group"].(string)
			ref.kind, _ = rm["kind"].(string)
			ref.name, _ = rm["name"].(string)
			ref.namespace, _ = rm["namespace"].(string)
			if ref.weight, ref.hasWeight, ok = routeutil.Number(rm["weight"]); !ok {
				return nil, malformed("spec.rules[%d].backendRefs[%d].weight is not a number", i, j)
			}
			r.refs = append(r.refs, ref)
		}
		h.rules = append(h.rules, r)
	}
	return h, nil
}

// isService reports whether the backendRef names the Service name in the
// route's namespace (kind and group as written or as defaulted).
func (b backendRef) isService(name, routeNamespace string) bool {
	return b.name == name &&
		(b.kind == "" || b.kind == "Service") &&
		b.group == "" &&
		(b.namespace == "" || b.namespace == routeNamespace)
}
