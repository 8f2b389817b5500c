package gatewayapi

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

// TestAPIServer drives the router against a real kube-apiserver with the
// Gateway API CRDs. One server is shared by the subtests; each works in its
// own namespace.
func TestAPIServer(t *testing.T) {
	env := startEnv(t)
	for _, sub := range []struct {
		name string
		fn   func(*testing.T, *envtest.Env)
	}{
		{"NamedRule", testNamedRule},
		{"EveryRuleWithStable", testEveryRule},
		{"MatchRules", testMatchRules},
		{"ConfigErrors", testConfigErrors},
		{"ConcurrentEdit", testConcurrentEdit},
		{"StalePatch", testStalePatch},
	} {
		t.Run(sub.name, func(t *testing.T) { sub.fn(t, env) })
	}
}

// userRoute is an HTTPRoute as a user writes it: a rule with a filter and
// a timeout sending /api to the stable Service, and an unrelated rule.
const userRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: api
  labels: {app: api}
  annotations: {note: written by hand}
spec:
  parentRefs: [{name: gateway, namespace: infra}]
  hostnames: [api.example.com]
  rules:
  - name: main
    matches:
    - path: {type: PathPrefix, value: /api}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-route, value: main}]
    timeouts: {request: 10s}
    backendRefs:
    - {name: api-stable, port: 8080}
  - name: static
    matches: [{path: {type: PathPrefix, value: /static}}]
    backendRefs:
    - {name: static, port: 80}
`

var mainSpec = v1alpha1.GatewayAPITraffic{HTTPRoute: "api", Rules: []string{"main"}, StableService: "api-stable", CanaryService: "api-canary"}

// splitRefs is the main rule's backendRefs at canary weight w, as stored.
func splitRefs(w int32) string {
	return fmt.Sprintf(`[{group: "", kind: Service, name: api-stable, port: 8080, weight: %d},
		{group: "", kind: Service, name: api-canary, port: 8080, weight: %d}]`, 100-w, w)
}

func testNamedRule(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "named")
	createRoute(ctx, t, c, ns, userRoute)
	original := testutil.UserView(t, getRoute(ctx, t, c, ns, "api"))
	r := New(c, ns, mainSpec, nil)

	for _, w := range []int32{10, 50, 100, 0} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getRoute(ctx, t, c, ns, "api")
		checkSplit(t, u)
		want := runtime.DeepCopyJSON(original)
		setBackendRefs(t, want, 0, splitRefs(w))
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d)", w), testutil.UserView(t, u), want)

		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d) again: %v", w, err)
		}
		if rv := getRoute(ctx, t, c, ns, "api").GetResourceVersion(); rv != u.GetResourceVersion() {
			t.Errorf("SetWeight(%d) twice wrote the object again (resourceVersion %s -> %s)", w, u.GetResourceVersion(), rv)
		}
	}

	// Sluice's manager owns only what it wrote: the rules (an atomic list,
	// so spec.rules as a whole). The user keeps the rest.
	u := getRoute(ctx, t, c, ns, "api")
	if got, want := testutil.ToJSON(t, testutil.ManagedFieldsOf(t, u, routeutil.FieldOwner)), `{"f:spec":{"f:rules":{}}}`; got != want {
		t.Errorf("fields managed by %q = %s, want %s", routeutil.FieldOwner, got, want)
	}
	user := testutil.ManagedFieldsOf(t, u, testutil.UserManager)
	spec, _ := user["f:spec"].(map[string]any)
	for _, f := range []string{"f:parentRefs", "f:hostnames"} {
		if _, ok := spec[f]; !ok {
			t.Errorf("the user no longer manages spec %s: %s", f, testutil.ToJSON(t, user))
		}
	}
	if md, _ := user["f:metadata"].(map[string]any); md["f:labels"] == nil || md["f:annotations"] == nil {
		t.Errorf("the user no longer manages labels and annotations: %s", testutil.ToJSON(t, user))
	}
}

func testEveryRule(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "every")
	createRoute(ctx, t, c, ns, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: gateway}]
  rules:
  - matches: [{headers: [{name: x-debug, value: "1"}]}]
    backendRefs:
    - {name: api-stable, port: 80, weight: 100}
    - {name: api-canary, port: 80, weight: 0}
  - name: web
    matches: [{path: {type: PathPrefix, value: /web}}]
    backendRefs: [{name: web, port: 80}]
  - name: default
    backendRefs: [{name: api-stable, port: 80}]
`)
	original := testutil.UserView(t, getRoute(ctx, t, c, ns, "api"))
	r := New(c, ns, v1alpha1.GatewayAPITraffic{HTTPRoute: "api", StableService: "api-stable", CanaryService: "api-canary"}, nil)
	if got, err := r.Weight(ctx); err != nil || got != 0 {
		t.Errorf("Weight before any SetWeight = %d, %v; want 0", got, err)
	}
	for _, w := range []int32{10, 50, 100, 0} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getRoute(ctx, t, c, ns, "api")
		checkSplit(t, u)
		want := runtime.DeepCopyJSON(original)
		refs := fmt.Sprintf(`[{group: "", kind: Service, name: api-stable, port: 80, weight: %d},
			{group: "", kind: Service, name: api-canary, port: 80, weight: %d}]`, 100-w, w)
		setBackendRefs(t, want, 0, refs)
		setBackendRefs(t, want, 2, refs)
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d)", w), testutil.UserView(t, u), want)
	}
}

func testMatchRules(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "match")
	createRoute(ctx, t, c, ns, userRoute)
	original := testutil.UserView(t, getRoute(ctx, t, c, ns, "api"))
	rules := []v1alpha1.MatchRule{
		{Headers: map[string]v1alpha1.StringMatch{"X-User": {Exact: "beta"}}},
		{Cookies: map[string]v1alpha1.StringMatch{"canary": {Prefix: "on"}}},
	}
	r := New(c, ns, mainSpec, rules)

	// The match rule copies the main rule (filter, timeout, path match)
	// and sends the matching requests to the canary only.
	matchRule := runtime.DeepCopyJSON(routeRules(t, original)[0].(map[string]any))
	matchRule["name"] = MatchRuleName
	matchRule["matches"] = testutil.FromYAML(t, `[
		{path: {type: PathPrefix, value: /api}, headers: [{type: Exact, name: X-User, value: beta}]},
		{path: {type: PathPrefix, value: /api}, headers: [{type: RegularExpression, name: Cookie, value: '^(?:.*;\s*)?(?:canary=on[^;]*)(?:;.*)?$'}]}]`)
	matchRule["backendRefs"] = testutil.FromYAML(t, `[{group: "", kind: Service, name: api-canary, port: 8080, weight: 1}]`)
	withMatch := func(w int32) map[string]any {
		want := runtime.DeepCopyJSON(original)
		setBackendRefs(t, want, 0, splitRefs(w))
		want["spec"].(map[string]any)["rules"] = append([]any{runtime.DeepCopyJSONValue(matchRule)}, routeRules(t, want)...)
		return want
	}

	// The match rules apply from weight 0 on, as in the embedded proxy.
	for _, w := range []int32{0, 30} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getRoute(ctx, t, c, ns, "api")
		checkSplit(t, u)
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d) with match rules", w), testutil.UserView(t, u), withMatch(w))
		rv := u.GetResourceVersion()
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatal(err)
		}
		if got := getRoute(ctx, t, c, ns, "api").GetResourceVersion(); got != rv {
			t.Errorf("SetWeight(%d) twice with match rules wrote the object again: the stored match rule differs from the planned one", w)
		}
	}

	if err := r.RemoveMatch(ctx); err != nil {
		t.Fatalf("RemoveMatch: %v", err)
	}
	u := getRoute(ctx, t, c, ns, "api")
	want := withMatch(30)
	want["spec"].(map[string]any)["rules"] = routeRules(t, want)[1:]
	testutil.SameObject(t, "object after RemoveMatch", testutil.UserView(t, u), want)
	if err := r.RemoveMatch(ctx); err != nil {
		t.Fatalf("RemoveMatch again: %v", err)
	}
	if rv := getRoute(ctx, t, c, ns, "api").GetResourceVersion(); rv != u.GetResourceVersion() {
		t.Errorf("RemoveMatch twice wrote the object again")
	}
	gone := New(c, ns, v1alpha1.GatewayAPITraffic{HTTPRoute: "deleted", StableService: "a", CanaryService: "b"}, rules)
	if err := gone.RemoveMatch(ctx); err != nil {
		t.Errorf("RemoveMatch on a missing HTTPRoute = %v, want nil (nothing to clean)", err)
	}
}
