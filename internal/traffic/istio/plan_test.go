package istio

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
)

var (
	subsets = v1alpha1.IstioTraffic{
		VirtualService: "api", Routes: []string{"primary"},
		Stable: v1alpha1.IstioDestination{Host: "api", Subset: "v1"},
		Canary: v1alpha1.IstioDestination{Host: "api", Subset: "v2"},
	}
	services = v1alpha1.IstioTraffic{
		VirtualService: "api",
		Stable:         v1alpha1.IstioDestination{Host: "api-stable"},
		Canary:         v1alpha1.IstioDestination{Host: "api-canary"},
	}
	subsetsOnly = v1alpha1.IstioTraffic{
		VirtualService: "api",
		Stable:         v1alpha1.IstioDestination{Subset: "v1"},
		Canary:         v1alpha1.IstioDestination{Subset: "v2"},
	}
	headerRule = []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"X-User": {Exact: "beta"}}}}
)

// TestPlan runs the planner on stored objects and applies its patch with
// the JSON-patch library the API server uses; the result must be the
// wanted http list, and applying a second plan must change nothing.
func TestPlan(t *testing.T) {
	for name, tc := range map[string]struct {
		http   string
		spec   v1alpha1.IstioTraffic
		rules  []v1alpha1.MatchRule
		weight int32
		want   string
	}{
		"subsets: adds the canary on the stable port": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v1, port: {number: 8080}}}]}]`,
			spec: subsets, weight: 10,
			want: `[{name: primary, route: [{destination: {host: api, subset: v1, port: {number: 8080}}, weight: 90},
			        {destination: {host: api, subset: v2, port: {number: 8080}}, weight: 10}]}]`,
		},
		"services: moves existing weights only": {
			http: `[{name: a, timeout: 3s, route: [{destination: {host: api-stable}, weight: 100, headers: {request: {set: {x: "1"}}}}, {destination: {host: api-canary.shop.svc.cluster.local}, weight: 0}]}]`,
			spec: services, weight: 50,
			want: `[{name: a, timeout: 3s, route: [{destination: {host: api-stable}, weight: 50, headers: {request: {set: {x: "1"}}}}, {destination: {host: api-canary.shop.svc.cluster.local}, weight: 50}]}]`,
		},
		"subset alone: canary takes the stable host": {
			http: `[{route: [{destination: {host: api.shop.svc.cluster.local, subset: v1}, weight: 100}]}]`,
			spec: subsetsOnly, weight: 100,
			want: `[{route: [{destination: {host: api.shop.svc.cluster.local, subset: v1}, weight: 0}, {destination: {host: api.shop.svc.cluster.local, subset: v2}, weight: 100}]}]`,
		},
		"all routes with stable, others untouched": {
			http: `[{name: x, route: [{destination: {host: other}}]}, {name: a, match: [{uri: {prefix: /a}}], route: [{destination: {host: api-stable}}]},
			        {name: b, route: [{destination: {host: api-stable}, weight: 100}, {destination: {host: mirror}, weight: 0}]}]`,
			spec: services, weight: 0,
			want: `[{name: x, route: [{destination: {host: other}}]}, {name: a, match: [{uri: {prefix: /a}}], route: [{destination: {host: api-stable}, weight: 100}, {destination: {host: api-canary}, weight: 0}]},
			        {name: b, route: [{destination: {host: api-stable}, weight: 100}, {destination: {host: mirror}, weight: 0}, {destination: {host: api-canary}, weight: 0}]}]`,
		},
		"match rules: a route in front that copies the route": {
			http: `[{name: x, route: [{destination: {host: other}}]}, {name: primary, match: [{uri: {prefix: /api}}, {uri: {exact: /}}], rewrite: {uri: /}, route: [{destination: {host: api, subset: v1}}]}]`,
			spec: subsets, weight: 0, rules: headerRule,
			want: `[{name: x, route: [{destination: {host: other}}]},
			        {name: sluice-canary-match, match: [{uri: {prefix: /api}, headers: {x-user: {exact: beta}}}, {uri: {exact: /}, headers: {x-user: {exact: beta}}}], rewrite: {uri: /},
			         route: [{destination: {host: api, subset: v2}, weight: 100}]},
			        {name: primary, match: [{uri: {prefix: /api}}, {uri: {exact: /}}], rewrite: {uri: /}, route: [{destination: {host: api, subset: v1}, weight: 100}, {destination: {host: api, subset: v2}, weight: 0}]}]`,
		},
		"match rules: one match route per weighted route": {
			http: `[{name: a, route: [{destination: {host: api-stable}}]}, {name: b, route: [{destination: {host: api-stable}}]}]`,
			spec: services, weight: 20,
			rules: []v1alpha1.MatchRule{{Cookies: map[string]v1alpha1.StringMatch{"beta": {Exact: "1"}}}},
			want: `[{name: sluice-canary-match, match: [{headers: {cookie: {regex: '^(?:.*;\s*)?(?:beta=1)(?:;.*)?$'}}}], route: [{destination: {host: api-canary}, weight: 100}]},
			        {name: a, route: [{destination: {host: api-stable}, weight: 80}, {destination: {host: api-canary}, weight: 20}]},
			        {name: sluice-canary-match-2, match: [{headers: {cookie: {regex: '^(?:.*;\s*)?(?:beta=1)(?:;.*)?$'}}}], route: [{destination: {host: api-canary}, weight: 100}]},
			        {name: b, route: [{destination: {host: api-stable}, weight: 80}, {destination: {host: api-canary}, weight: 20}]}]`,
		},
		"stale match route: replaced when rules change, removed without rules": {
			http: `[{name: sluice-canary-match, match: [{headers: {x-old: {exact: "1"}}}], route: [{destination: {host: api-canary}}]},
			        {name: a, route: [{destination: {host: api-stable}, weight: 70}, {destination: {host: api-canary}, weight: 30}]}]`,
			spec: services, weight: 30,
			want: `[{name: a, route: [{destination: {host: api-stable}, weight: 70}, {destination: {host: api-canary}, weight: 30}]}]`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := storedVS(t, tc.http)
			got := applyPlan(t, doc, tc.spec, tc.rules, tc.weight)
			want := testutil.ToJSON(t, testutil.FromYAML(t, tc.want))
			if g := testutil.ToJSON(t, got["spec"].(map[string]any)["http"]); g != want {
				t.Errorf("http after the patch:\n got %s\nwant %s", g, want)
			}
			if ops := planFor(t, got, tc.spec, tc.rules, tc.weight); len(ops) != 0 {
				t.Errorf("second plan is not empty: %s", testutil.ToJSON(t, ops))
			}
		})
	}
}

// TestPlanConfigErrors checks every problem a person must fix is reported
// with the Release field that points at it.
func TestPlanConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		http  string
		spec  v1alpha1.IstioTraffic
		rules []v1alpha1.MatchRule
		want  string
	}{
		"named route missing": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v1}}]}]`,
			spec: withRoutes(subsets, "primary", "secondary"), want: "spec.traffic.istio.routes[1]",
		},
		"named route without stable": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v3}}]}]`,
			spec: subsets, want: "spec.traffic.istio.stable",
		},
		"no route has stable": {
			http: `[{name: primary, route: [{destination: {host: web}}]}]`,
			spec: services, want: "spec.traffic.istio.stable",
		},
		"no http routes at all": {
			http: `[]`, spec: services, want: "spec.traffic.istio.stable",
		},
		"two stable destinations": {
			http: `[{route: [{destination: {host: api-stable}, weight: 50}, {destination: {host: api-stable.shop}, weight: 50}]}]`,
			spec: services, want: "spec.traffic.istio.stable",
		},
		"two canary destinations": {
			http: `[{route: [{destination: {host: api-stable}, weight: 50}, {destination: {host: api-canary}, weight: 25}, {destination: {host: api-canary}, weight: 25}]}]`,
			spec: services, want: "spec.traffic.istio.canary",
		},
		"third destination takes traffic": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v1}, weight: 90}, {destination: {host: legacy}, weight: 10}]}]`,
			spec: subsets, want: "spec.traffic.istio.routes[0]",
		},
		"reserved route name": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v1}}]}]`,
			spec: withRoutes(subsets, "sluice-canary-match"), want: "spec.traffic.istio.routes[0]",
		},
		"stable and canary the same": {
			http: `[{route: [{destination: {host: api}}]}]`,
			spec: v1alpha1.IstioTraffic{Stable: v1alpha1.IstioDestination{Host: "api"}, Canary: v1alpha1.IstioDestination{Host: "api.shop.svc"}},
			want: "spec.traffic.istio.canary",
		},
		"rule header already matched by the route": {
			http: `[{name: primary, match: [{headers: {x-user: {exact: alice}}}], route: [{destination: {host: api, subset: v1}}]}]`,
			spec: subsets, rules: headerRule, want: "spec.traffic.match[0].headers[X-User]",
		},
		"too many cookies in a rule": {
			http: `[{name: primary, route: [{destination: {host: api, subset: v1}}]}]`,
			spec: subsets, want: "spec.traffic.match[0].cookies",
			rules: []v1alpha1.MatchRule{{Cookies: map[string]v1alpha1.StringMatch{"a": {Exact: "1"}, "b": {Exact: "1"}, "c": {Exact: "1"}, "d": {Exact: "1"}}}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			vs, err := decodeVirtualService(&unstructured.Unstructured{Object: storedVS(t, tc.http)})
			if err != nil {
				t.Fatal(err)
			}
			targets, err := selectTargets(vs, tc.spec)
			if err == nil {
				w := int32(10)
				_, err = plan(vs, targets, tc.spec, desired{weight: &w, rules: tc.rules})
			}
			ce, ok := kubeerr.AsConfig(err)
			if !ok {
				t.Fatalf("err = %v, want a ConfigError at %s", err, tc.want)
			}
			if ce.Field != tc.want {
				t.Errorf("field = %s, want %s (%v)", ce.Field, tc.want, err)
			}
			if !strings.Contains(ce.Object, "VirtualService shop/api") && ce.Object != "" {
				t.Errorf("object = %q", ce.Object)
			}
		})
	}
}

func TestCanaryWeight(t *testing.T) {
	for name, tc := range map[string]struct {
		http string
		want int32
	}{
		"lone stable without weight":      {`[{route: [{destination: {host: api-stable}}]}]`, 0},
		"canary without weight among two": {`[{route: [{destination: {host: api-canary}}, {destination: {host: api-stable}, weight: 0}]}]`, 0},
		"percent":                         {`[{route: [{destination: {host: api-stable}, weight: 75}, {destination: {host: api-canary}, weight: 25}]}]`, 25},
		"relative weights":                {`[{route: [{destination: {host: api-stable}, weight: 1}, {destination: {host: api-canary}, weight: 2}]}]`, 67},
		"all zero":                        {`[{route: [{destination: {host: api-stable}, weight: 0}, {destination: {host: api-canary}, weight: 0}]}]`, 0},
		"routes disagree: the first":      {`[{route: [{destination: {host: api-stable}, weight: 60}, {destination: {host: api-canary}, weight: 40}]}, {route: [{destination: {host: api-stable}}]}]`, 40},
	} {
		t.Run(name, func(t *testing.T) {
			vs, err := decodeVirtualService(&unstructured.Unstructured{Object: storedVS(t, tc.http)})
			if err != nil {
				t.Fatal(err)
			}
			targets, err := selectTargets(vs, services)
			if err != nil {
				t.Fatal(err)
			}
			if got := targets[0].canaryWeight(); got != tc.want {
				t.Errorf("canary weight = %d, want %d", got, tc.want)
			}
		})
	}
}

func withRoutes(s v1alpha1.IstioTraffic, routes ...string) v1alpha1.IstioTraffic {
	s.Routes = routes
	return s
}

// storedVS is a VirtualService in namespace shop as the API server returns
// it, with the given spec.http written in YAML.
func storedVS(t *testing.T, http string) map[string]any {
	t.Helper()
	return map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "api", "namespace": "shop"},
		"spec":     map[string]any{"hosts": []any{"api"}, "http": testutil.FromYAML(t, http), "tcp": []any{map[string]any{"route": []any{}}}},
	}
}

func planFor(t *testing.T, doc map[string]any, spec v1alpha1.IstioTraffic, rules []v1alpha1.MatchRule, w int32) []routeutil.Op {
	t.Helper()
	vs, err := decodeVirtualService(&unstructured.Unstructured{Object: doc})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := selectTargets(vs, spec)
	if err != nil {
		t.Fatalf("selecting routes: %v", err)
	}
	ops, err := plan(vs, targets, spec, desired{weight: &w, rules: rules})
	if err != nil {
		t.Fatalf("planning: %v", err)
	}
	return ops
}

// applyPlan plans against doc and applies the patch the way the API
// server does.
func applyPlan(t *testing.T, doc map[string]any, spec v1alpha1.IstioTraffic, rules []v1alpha1.MatchRule, w int32) map[string]any {
	t.Helper()
	return testutil.ApplyPatch(t, doc, planFor(t, doc, spec, rules, w))
}
