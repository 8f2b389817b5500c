package istio

import (
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

// TestAPIServer drives the router against a real kube-apiserver with
// Istio's CRDs. One server is shared by the subtests; each works in its
// own namespace.
func TestAPIServer(t *testing.T) {
	env := startEnv(t)
	for _, sub := range []struct {
		name string
		fn   func(*testing.T, *envtest.Env)
	}{
		{"Subsets", testSubsets},
		{"SubsetsWithoutHost", testSubsetsWithoutHost},
		{"TwoServices", testTwoServices},
		{"MatchRules", testMatchRules},
		{"ConfigErrors", testConfigErrors},
		{"ConcurrentEdit", testConcurrentEdit},
		{"StalePatch", testStalePatch},
	} {
		t.Run(sub.name, func(t *testing.T) { sub.fn(t, env) })
	}
}

// userVS is the hand-made setup: a route with a fault, retries and a
// timeout weighting subset v1, an unrelated route, and a TCP section.
const userVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: api
  labels: {app: api, team: shop}
  annotations: {note: written by hand}
spec:
  hosts: [api]
  gateways: [mesh]
  http:
  - name: primary
    match:
    - uri: {prefix: /api}
    fault:
      delay:
        percentage: {value: 5}
        fixedDelay: 2s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: 5xx}
    timeout: 10s
    route:
    - destination: {host: api, subset: v1, port: {number: 8080}}
      weight: 100
  - name: static
    route:
    - destination: {host: static}
  tcp:
  - match: [{port: 9000}]
    route:
    - destination: {host: api, port: {number: 9000}}
`

const userDR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

var subsetsSpec = v1alpha1.IstioTraffic{
	VirtualService: "api", Routes: []string{"primary"}, DestinationRule: "api",
	Stable: v1alpha1.IstioDestination{Host: "api", Subset: "v1"},
	Canary: v1alpha1.IstioDestination{Host: "api", Subset: "v2"},
}

func testSubsets(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "subsets")
	createYAML(ctx, t, c, ns, userDR)
	createYAML(ctx, t, c, ns, userVS)
	original := testutil.UserView(t, getVS(ctx, t, c, ns, "api"))
	r := New(c, ns, subsetsSpec, nil)

	for _, w := range []int32{10, 50, 100, 0} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getVS(ctx, t, c, ns, "api")
		checkSplit(t, u)
		want := runtime.DeepCopyJSON(original)
		setRouteList(t, want, 0, fmt.Sprintf(`[{destination: {host: api, subset: v1, port: {number: 8080}}, weight: %d},
			{destination: {host: api, subset: v2, port: {number: 8080}}, weight: %d}]`, 100-w, w))
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d)", w), testutil.UserView(t, u), want)

		// Setting the same weight again sends nothing.
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d) again: %v", w, err)
		}
		if rv := getVS(ctx, t, c, ns, "api").GetResourceVersion(); rv != u.GetResourceVersion() {
			t.Errorf("SetWeight(%d) twice wrote the object again (resourceVersion %s -> %s)", w, u.GetResourceVersion(), rv)
		}
	}

	// Sluice's manager owns only what it wrote: the route list (Istio's is
	// atomic, so spec.http as a whole). The user keeps the rest.
	u := getVS(ctx, t, c, ns, "api")
	if got, want := testutil.ToJSON(t, testutil.ManagedFieldsOf(t, u, routeutil.FieldOwner)), `{"f:spec":{"f:http":{}}}`; got != want {
		t.Errorf("fields managed by %q = %s, want %s", routeutil.FieldOwner, got, want)
	}
	user := testutil.ManagedFieldsOf(t, u, testutil.UserManager)
	spec, _ := user["f:spec"].(map[string]any)
	for _, f := range []string{"f:hosts", "f:gateways", "f:tcp"} {
		if _, ok := spec[f]; !ok {
			t.Errorf("the user no longer manages spec %s: %s", f, testutil.ToJSON(t, user))
		}
	}
	if md, _ := user["f:metadata"].(map[string]any); md["f:labels"] == nil || md["f:annotations"] == nil {
		t.Errorf("the user no longer manages labels and annotations: %s", testutil.ToJSON(t, user))
	}
}

func testSubsetsWithoutHost(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "bare")
	createYAML(ctx, t, c, ns, fmt.Sprintf(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - route:
    - destination: {host: api.%s.svc.cluster.local, subset: v1}
`, ns))
	original := testutil.UserView(t, getVS(ctx, t, c, ns, "api"))
	r := New(c, ns, v1alpha1.IstioTraffic{VirtualService: "api",
		Stable: v1alpha1.IstioDestination{Subset: "v1"}, Canary: v1alpha1.IstioDestination{Subset: "v2"}}, nil)
	if got, err := r.Weight(ctx); err != nil || got != 0 {
		t.Errorf("Weight before any SetWeight = %d, %v; want 0 (no canary destination)", got, err)
	}
	if err := r.SetWeight(ctx, 25); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Weight(ctx); err != nil || got != 25 {
		t.Errorf("Weight = %d, %v; want 25", got, err)
	}
	want := runtime.DeepCopyJSON(original)
	setRouteList(t, want, 0, fmt.Sprintf(`[{destination: {host: api.%[1]s.svc.cluster.local, subset: v1}, weight: 75},
		{destination: {host: api.%[1]s.svc.cluster.local, subset: v2}, weight: 25}]`, ns))
	testutil.SameObject(t, "object after SetWeight(25)", testutil.UserView(t, getVS(ctx, t, c, ns, "api")), want)
}

func testTwoServices(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "services")
	createYAML(ctx, t, c, ns, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  http:
  - name: debug
    match: [{headers: {x-debug: {exact: "1"}}}]
    route:
    - {destination: {host: api-stable}, weight: 100}
    - {destination: {host: api-canary}, weight: 0}
  - name: web
    route: [{destination: {host: web}}]
  - name: default
    headers: {response: {set: {x-served-by: api}}}
    route: [{destination: {host: api-stable}}]
`)
	original := testutil.UserView(t, getVS(ctx, t, c, ns, "api"))
	// No routes named: every HTTP route with the stable host is weighted.
	r := New(c, ns, v1alpha1.IstioTraffic{VirtualService: "api",
		Stable: v1alpha1.IstioDestination{Host: "api-stable"}, Canary: v1alpha1.IstioDestination{Host: "api-canary"}}, nil)
	for _, w := range []int32{10, 50, 100, 0} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getVS(ctx, t, c, ns, "api")
		checkSplit(t, u)
		want := runtime.DeepCopyJSON(original)
		list := fmt.Sprintf(`[{destination: {host: api-stable}, weight: %d}, {destination: {host: api-canary}, weight: %d}]`, 100-w, w)
		setRouteList(t, want, 0, list)
		setRouteList(t, want, 2, list)
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d)", w), testutil.UserView(t, u), want)
	}
}

func testMatchRules(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "match")
	createYAML(ctx, t, c, ns, userDR)
	createYAML(ctx, t, c, ns, userVS)
	original := testutil.UserView(t, getVS(ctx, t, c, ns, "api"))
	rules := []v1alpha1.MatchRule{
		{Headers: map[string]v1alpha1.StringMatch{"X-User": {Exact: "beta"}}},
		{Cookies: map[string]v1alpha1.StringMatch{"canary": {Prefix: "on"}}},
	}
	r := New(c, ns, subsetsSpec, rules)

	// The match route copies the primary route (fault, retries, timeout,
	// its uri match) and sends the matching requests to the canary.
	matchRoute := runtime.DeepCopyJSON(httpRoutes(t, original)[0].(map[string]any))
	matchRoute["name"] = MatchRouteName
	matchRoute["match"] = testutil.FromYAML(t, `[
		{uri: {prefix: /api}, headers: {x-user: {exact: beta}}},
		{uri: {prefix: /api}, headers: {cookie: {regex: '^(?:.*;\s*)?(?:canary=on[^;]*)(?:;.*)?$'}}}]`)
	matchRoute["route"] = testutil.FromYAML(t, `[{destination: {host: api, subset: v2, port: {number: 8080}}, weight: 100}]`)
	withMatch := func(w int32) map[string]any {
		want := runtime.DeepCopyJSON(original)
		setRouteList(t, want, 0, fmt.Sprintf(`[{destination: {host: api, subset: v1, port: {number: 8080}}, weight: %d},
			{destination: {host: api, subset: v2, port: {number: 8080}}, weight: %d}]`, 100-w, w))
		http := httpRoutes(t, want)
		spec := want["spec"].(map[string]any)
		spec["http"] = append([]any{runtime.DeepCopyJSONValue(matchRoute)}, http...)
		return want
	}

	// The rules apply from weight 0 on, as in the embedded proxy.
	for _, w := range []int32{0, 30} {
		if err := r.SetWeight(ctx, w); err != nil {
			t.Fatalf("SetWeight(%d): %v", w, err)
		}
		if got, err := r.Weight(ctx); err != nil || got != w {
			t.Errorf("Weight after SetWeight(%d) = %d, %v", w, got, err)
		}
		u := getVS(ctx, t, c, ns, "api")
		checkSplit(t, u)
		testutil.SameObject(t, fmt.Sprintf("object after SetWeight(%d) with match rules", w), testutil.UserView(t, u), withMatch(w))
	}

	if err := r.RemoveMatch(ctx); err != nil {
		t.Fatalf("RemoveMatch: %v", err)
	}
	u := getVS(ctx, t, c, ns, "api")
	want := withMatch(30)
	want["spec"].(map[string]any)["http"] = httpRoutes(t, want)[1:]
	testutil.SameObject(t, "object after RemoveMatch", testutil.UserView(t, u), want)
	if err := r.RemoveMatch(ctx); err != nil {
		t.Fatalf("RemoveMatch again: %v", err)
	}
	if rv := getVS(ctx, t, c, ns, "api").GetResourceVersion(); rv != u.GetResourceVersion() {
		t.Errorf("RemoveMatch twice wrote the object again")
	}
	gone := New(c, ns, v1alpha1.IstioTraffic{VirtualService: "deleted", Stable: subsetsSpec.Stable, Canary: subsetsSpec.Canary}, rules)
	if err := gone.RemoveMatch(ctx); err != nil {
		t.Errorf("RemoveMatch on a missing VirtualService = %v, want nil (nothing to clean)", err)
	}
	if !reflect.DeepEqual(testutil.ManagedFieldsOf(t, u, routeutil.FieldOwner), map[string]any{"f:spec": map[string]any{"f:http": map[string]any{}}}) {
		t.Errorf("fields managed by %q = %s", routeutil.FieldOwner, testutil.ToJSON(t, testutil.ManagedFieldsOf(t, u, routeutil.FieldOwner)))
	}
}
