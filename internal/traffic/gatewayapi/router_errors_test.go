package gatewayapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

func testConfigErrors(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "errors")
	createRoute(ctx, t, c, ns, userRoute)
	var big strings.Builder
	big.WriteString("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: big}\nspec:\n  rules:\n")
	for i := range maxRules {
		fmt.Fprintf(&big, "  - {name: r%d, matches: [{path: {type: PathPrefix, value: /r%d}}], backendRefs: [{name: api-stable, port: 80}]}\n", i, i)
	}
	createRoute(ctx, t, c, ns, big.String())
	rv := getRoute(ctx, t, c, ns, "api").GetResourceVersion()
	header := []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"x-beta": {Exact: "1"}}}}

	for name, tc := range map[string]struct {
		spec       func(*v1alpha1.GatewayAPITraffic)
		match      []v1alpha1.MatchRule
		field, obj string
	}{
		"HTTPRoute missing": {
			spec:  func(s *v1alpha1.GatewayAPITraffic) { s.HTTPRoute = "nope" },
			field: "spec.traffic.gatewayAPI.httpRoute", obj: "HTTPRoute " + ns + "/nope",
		},
		"named rule missing": {
			spec:  func(s *v1alpha1.GatewayAPITraffic) { s.Rules = []string{"main", "checkout"} },
			field: "spec.traffic.gatewayAPI.rules[1]", obj: "HTTPRoute " + ns + "/api",
		},
		"no backendRef to stable": {
			spec:  func(s *v1alpha1.GatewayAPITraffic) { s.Rules, s.StableService = nil, "api-v1" },
			field: "spec.traffic.gatewayAPI.stableService", obj: "HTTPRoute " + ns + "/api",
		},
		"named rule sends to another backend": {
			spec:  func(s *v1alpha1.GatewayAPITraffic) { s.Rules = []string{"static"} },
			field: "spec.traffic.gatewayAPI.stableService", obj: "HTTPRoute " + ns + "/api",
		},
		"match rules exceed the rule limit": {
			spec:  func(s *v1alpha1.GatewayAPITraffic) { s.HTTPRoute, s.Rules = "big", []string{"r3"} },
			match: header, field: "spec.traffic.match", obj: "HTTPRoute " + ns + "/big",
		},
	} {
		t.Run(name, func(t *testing.T) {
			spec := mainSpec
			tc.spec(&spec)
			r := New(c, ns, spec, tc.match)
			check := func(call string, err error) {
				t.Helper()
				ce, ok := kubeerr.AsConfig(err)
				if !ok {
					t.Fatalf("%s: err = %v, want a ConfigError", call, err)
				}
				if ce.Field != tc.field || ce.Object != tc.obj {
					t.Errorf("%s: ConfigError at %s about %q, want %s about %q (%v)", call, ce.Field, ce.Object, tc.field, tc.obj, err)
				}
			}
			check("SetWeight", r.SetWeight(ctx, 10))
			if tc.match == nil {
				_, err := r.Weight(ctx)
				check("Weight", err)
			}
		})
	}
	if got := getRoute(ctx, t, c, ns, "api").GetResourceVersion(); got != rv {
		t.Errorf("a refused SetWeight wrote the HTTPRoute (resourceVersion %s -> %s)", rv, got)
	}
}

// editStable changes the user's stable backendRef the way a person with
// kubectl edit would: a filter on it, inside the list Sluice pins.
func editStable(ctx context.Context, t *testing.T, c client.Client, ns, value string) {
	t.Helper()
	u := getRoute(ctx, t, c, ns, "api")
	rules := routeRules(t, u.Object)
	ref := rules[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	ref["filters"] = []any{map[string]any{"type": "RequestHeaderModifier",
		"requestHeaderModifier": map[string]any{"set": []any{map[string]any{"name": "x-edit", "value": value}}}}}
	if err := unstructured.SetNestedSlice(u.Object, rules, "spec", "rules"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, u, client.FieldOwner(testutil.UserManager)); err != nil {
		t.Fatalf("user edit: %v", err)
	}
}

func stableFilter(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	ref := routeRules(t, u.Object)[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	filters, _, _ := unstructured.NestedSlice(ref, "filters")
	if len(filters) == 0 {
		return ""
	}
	set, _, _ := unstructured.NestedSlice(filters[0].(map[string]any), "requestHeaderModifier", "set")
	v, _ := set[0].(map[string]any)["value"].(string)
	return v
}

// testConcurrentEdit has the user edit the backendRefs between the
// router's read and its patch: the test operations make the patch fail,
// the router reads again and converges, and the user's edit survives.
func testConcurrentEdit(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "race")
	createRoute(ctx, t, c, ns, userRoute)

	r := New(c, ns, mainSpec, nil)
	attempts := 0
	r.beforePatch = func(ctx context.Context, attempt int) {
		attempts = attempt
		if attempt == 1 {
			editStable(ctx, t, c, ns, "once")
		}
	}
	if err := r.SetWeight(ctx, 40); err != nil {
		t.Fatalf("SetWeight(40) with one concurrent edit: %v", err)
	}
	if attempts != 2 {
		t.Errorf("patched on attempt %d, want 2 (the first must fail its test operations)", attempts)
	}
	u := getRoute(ctx, t, c, ns, "api")
	if got, err := r.Weight(ctx); err != nil || got != 40 {
		t.Errorf("Weight = %d, %v; want 40", got, err)
	}
	if f := stableFilter(t, u); f != "once" {
		t.Errorf("the user's concurrent edit was lost: filter value = %q", f)
	}
	checkSplit(t, u)

	// Someone who edits before every patch wins: the router gives up after
	// its bounded attempts and leaves their edit and the old weights.
	r.beforePatch = func(ctx context.Context, attempt int) {
		attempts = attempt
		editStable(ctx, t, c, ns, fmt.Sprint("edit-", attempt))
	}
	err := r.SetWeight(ctx, 70)
	if err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Fatalf("SetWeight(70) against an editor on every attempt: err = %v, want it to give up", err)
	}
	if attempts != routeutil.MaxAttempts {
		t.Errorf("gave up after %d attempts, want %d", attempts, routeutil.MaxAttempts)
	}
	if f := stableFilter(t, getRoute(ctx, t, c, ns, "api")); f != fmt.Sprint("edit-", routeutil.MaxAttempts) {
		t.Errorf("filter value = %q, want the user's last edit", f)
	}
	if got, _ := r.Weight(ctx); got != 40 {
		t.Errorf("Weight after giving up = %d, want the previous 40", got)
	}
}

// testStalePatch sends a patch planned from a stale read, as a slow
// controller would: the server refuses it, the user's change stays, and a
// fresh call converges.
func testStalePatch(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "stale")
	createRoute(ctx, t, c, ns, userRoute)
	r := New(c, ns, mainSpec, nil)
	if err := r.SetWeight(ctx, 10); err != nil {
		t.Fatal(err)
	}

	stale := getRoute(ctx, t, c, ns, "api")
	h, err := decodeHTTPRoute(stale.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	targets, err := selectTargets(h, mainSpec)
	if err != nil {
		t.Fatal(err)
	}
	w := int32(20)
	ops, err := plan(h, targets, mainSpec, desired{weight: &w})
	if err != nil || len(ops) == 0 {
		t.Fatalf("plan: %d ops, %v", len(ops), err)
	}

	// The user moves the weights by hand meanwhile.
	edited := stale.DeepCopy()
	rules := runtime.DeepCopyJSONValue(routeRules(t, stale.Object)).([]any)
	refs := rules[0].(map[string]any)["backendRefs"].([]any)
	refs[0].(map[string]any)["weight"], refs[1].(map[string]any)["weight"] = int64(95), int64(5)
	if err := unstructured.SetNestedSlice(edited.Object, rules, "spec", "rules"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, edited, client.FieldOwner(testutil.UserManager)); err != nil {
		t.Fatalf("user edit: %v", err)
	}
	userEdit := testutil.UserView(t, getRoute(ctx, t, c, ns, "api"))

	err = routeutil.Patch(ctx, c, h.obj, ops)
	if err == nil || !routeutil.ChangedMeanwhile(err) {
		t.Fatalf("stale patch: err = %v, want the server to refuse it as changed meanwhile", err)
	}
	testutil.SameObject(t, "object after the refused stale patch", testutil.UserView(t, getRoute(ctx, t, c, ns, "api")), userEdit)

	if err := r.SetWeight(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Weight(ctx); err != nil || got != 20 {
		t.Errorf("Weight = %d, %v; want 20", got, err)
	}
	checkSplit(t, getRoute(ctx, t, c, ns, "api"))
}
