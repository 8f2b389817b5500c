package gatewayapi

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
)

var (
	services   = v1alpha1.GatewayAPITraffic{HTTPRoute: "api", StableService: "api-stable", CanaryService: "api-canary"}
	headerRule = []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"X-User": {Exact: "beta"}}}}
)

// The stable backendRef as the API server stores it, defaults filled in.
const stableRef = `{group: "", kind: Service, name: api-stable, port: 80, weight: 1}`

// TestPlan runs the planner on stored objects and applies its patch with
// the JSON-patch library the API server uses; the result must be the
// wanted rules, and a second plan must change nothing.
func TestPlan(t *testing.T) {
	for name, tc := range map[string]struct {
		rules  string
		spec   v1alpha1.GatewayAPITraffic
		match  []v1alpha1.MatchRule
		weight int32
		want   string
	}{
		"adds the canary like the stable backendRef": {
			rules: `[{name: main, backendRefs: [{group: "", kind: Service, name: api-stable, namespace: shop, port: 8080, weight: 1}]}]`,
			spec:  withRules(services, "main"), weight: 10,
			want: `[{name: main, backendRefs: [{group: "", kind: Service, name: api-stable, namespace: shop, port: 8080, weight: 90},
			        {group: "", kind: Service, name: api-canary, namespace: shop, port: 8080, weight: 10}]}]`,
		},
		"moves weights only": {
			rules: `[{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: "1"}]}}],
			         backendRefs: [{name: api-stable, port: 80, weight: 100, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: y, value: "2"}]}}]}, {name: api-canary, port: 80, weight: 0}]}]`,
			spec: services, weight: 50,
			want: `[{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: "1"}]}}],
			        backendRefs: [{name: api-stable, port: 80, weight: 50, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: y, value: "2"}]}}]}, {name: api-canary, port: 80, weight: 50}]}]`,
		},
		"every rule with stable, others untouched": {
			rules: `[{name: web, backendRefs: [{name: web, port: 80}]}, {name: a, backendRefs: [` + stableRef + `]}, {backendRefs: [` + stableRef + `, {name: old, port: 80, weight: 0}]}]`,
			spec:  services, weight: 100,
			want: `[{name: web, backendRefs: [{name: web, port: 80}]},
			        {name: a, backendRefs: [{group: "", kind: Service, name: api-stable, port: 80, weight: 0}, {group: "", kind: Service, name: api-canary, port: 80, weight: 100}]},
			        {backendRefs: [{group: "", kind: Service, name: api-stable, port: 80, weight: 0}, {name: old, port: 80, weight: 0}, {group: "", kind: Service, name: api-canary, port: 80, weight: 100}]}]`,
		},
		"match rule in front, copying filters and matches": {
			rules: `[{name: main, matches: [{path: {type: PathPrefix, value: /api}, headers: [{type: Exact, name: x-tenant, value: a}]}],
			         filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}],
			         backendRefs: [` + stableRef + `]}]`,
			spec: services, weight: 0,
			match: []v1alpha1.MatchRule{
				{Headers: map[string]v1alpha1.StringMatch{"X-User": {Prefix: "beta."}}},
				{Cookies: map[string]v1alpha1.StringMatch{"canary": {Exact: "1"}}},
			},
			want: `[{name: sluice-canary-match,
			         matches: [{path: {type: PathPrefix, value: /api}, headers: [{type: Exact, name: x-tenant, value: a}, {type: RegularExpression, name: X-User, value: '^beta\..*'}]},
			                   {path: {type: PathPrefix, value: /api}, headers: [{type: Exact, name: x-tenant, value: a}, {type: RegularExpression, name: Cookie, value: '^(?:.*;\s*)?(?:canary=1)(?:;.*)?$'}]}],
			         filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}],
			         backendRefs: [{group: "", kind: Service, name: api-canary, port: 80, weight: 1}]},
			        {name: main, matches: [{path: {type: PathPrefix, value: /api}, headers: [{type: Exact, name: x-tenant, value: a}]}],
			         filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}],
			         backendRefs: [{group: "", kind: Service, name: api-stable, port: 80, weight: 100}, {group: "", kind: Service, name: api-canary, port: 80, weight: 0}]}]`,
		},
		"stale match rule removed without match rules": {
			rules: `[{name: sluice-canary-match, backendRefs: [{name: api-canary, port: 80}]}, {name: main, backendRefs: [{name: api-stable, port: 80, weight: 70}, {name: api-canary, port: 80, weight: 30}]}]`,
			spec:  services, weight: 30,
			want: `[{name: main, backendRefs: [{name: api-stable, port: 80, weight: 70}, {name: api-canary, port: 80, weight: 30}]}]`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := applyPlan(t, storedRoute(t, tc.rules), tc.spec, tc.match, tc.weight)
			want := testutil.ToJSON(t, testutil.FromYAML(t, tc.want))
			if g := testutil.ToJSON(t, got["spec"].(map[string]any)["rules"]); g != want {
				t.Errorf("rules after the patch:\n got %s\nwant %s", g, want)
			}
			if ops := planFor(t, got, tc.spec, tc.match, tc.weight); len(ops) != 0 {
				t.Errorf("second plan is not empty: %s", testutil.ToJSON(t, ops))
			}
		})
	}
}

// TestPlanConfigErrors checks every problem a person must fix is reported
// with the Release field that points at it.
func TestPlanConfigErrors(t *testing.T) {
	var sixteen []string
	for i := range maxRules {
		sixteen = append(sixteen, fmt.Sprintf(`{name: r%d, backendRefs: [%s]}`, i, stableRef))
	}
	for name, tc := range map[string]struct {
		rules string
		spec  v1alpha1.GatewayAPITraffic
		match []v1alpha1.MatchRule
		want  string
	}{
		"named rule missing": {
			rules: `[{name: main, backendRefs: [` + stableRef + `]}]`,
			spec:  withRules(services, "main", "extra"), want: "spec.traffic.gatewayAPI.rules[1]",
		},
		"named rule without stable": {
			rules: `[{name: main, backendRefs: [{name: web, port: 80}]}]`,
			spec:  withRules(services, "main"), want: "spec.traffic.gatewayAPI.stableService",
		},
		"no rule has stable": {
			rules: `[{backendRefs: [{name: web, port: 80}]}]`, spec: services, want: "spec.traffic.gatewayAPI.stableService",
		},
		"stable in another namespace is not stable": {
			rules: `[{backendRefs: [{name: api-stable, namespace: other, port: 80}]}]`, spec: services, want: "spec.traffic.gatewayAPI.stableService",
		},
		"two stable backendRefs": {
			rules: `[{backendRefs: [` + stableRef + `, {name: api-stable, port: 8080}]}]`, spec: services, want: "spec.traffic.gatewayAPI.stableService",
		},
		"two canary backendRefs": {
			rules: `[{backendRefs: [` + stableRef + `, {name: api-canary, port: 80}, {name: api-canary, port: 81}]}]`, spec: services, want: "spec.traffic.gatewayAPI.canaryService",
		},
		"third backend takes traffic by default weight": {
			rules: `[{name: main, backendRefs: [` + stableRef + `, {name: legacy, port: 80}]}]`,
			spec:  withRules(services, "main"), want: "spec.traffic.gatewayAPI.rules[0]",
		},
		"reserved rule name": {
			rules: `[{name: main, backendRefs: [` + stableRef + `]}]`,
			spec:  withRules(services, "sluice-canary-match-2"), want: "spec.traffic.gatewayAPI.rules[0]",
		},
		"same Service twice": {
			rules: `[{backendRefs: [` + stableRef + `]}]`,
			spec:  v1alpha1.GatewayAPITraffic{HTTPRoute: "api", StableService: "api", CanaryService: "api"}, want: "spec.traffic.gatewayAPI.canaryService",
		},
		"header already matched, in another case": {
			rules: `[{matches: [{headers: [{type: Exact, name: x-user, value: alice}]}], backendRefs: [` + stableRef + `]}]`,
			spec:  services, match: headerRule, want: "spec.traffic.match[0].headers[X-User]",
		},
		"too many rules with the match rule": {
			rules: "[" + strings.Join(sixteen, ",") + "]",
			spec:  withRules(services, "r3"), match: headerRule, want: "spec.traffic.match",
		},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := decodeHTTPRoute(&unstructured.Unstructured{Object: storedRoute(t, tc.rules)})
			if err != nil {
				t.Fatal(err)
			}
			targets, err := selectTargets(h, tc.spec)
			if err == nil {
				w := int32(10)
				_, err = plan(h, targets, tc.spec, desired{weight: &w, rules: tc.match})
			}
			ce, ok := kubeerr.AsConfig(err)
			if !ok {
				t.Fatalf("err = %v, want a ConfigError at %s", err, tc.want)
			}
			if ce.Field != tc.want {
				t.Errorf("field = %s, want %s (%v)", ce.Field, tc.want, err)
			}
		})
	}
}

func TestCanaryWeight(t *testing.T) {
	for name, tc := range map[string]struct {
		rules string
		want  int32
	}{
		"stable alone":              {`[{backendRefs: [{name: api-stable, port: 80}]}]`, 0},
		"default weights are equal": {`[{backendRefs: [{name: api-stable, port: 80}, {name: api-canary, port: 80}]}]`, 50},
		"percent":                   {`[{backendRefs: [{name: api-stable, port: 80, weight: 90}, {name: api-canary, port: 80, weight: 10}]}]`, 10},
		"relative":                  {`[{backendRefs: [{name: api-stable, port: 80, weight: 1}, {name: api-canary, port: 80, weight: 3}]}]`, 75},
		"all zero":                  {`[{backendRefs: [{name: api-stable, port: 80, weight: 0}, {name: api-canary, port: 80, weight: 0}]}]`, 0},
		"rules disagree: the first": {`[{backendRefs: [{name: api-stable, port: 80, weight: 60}, {name: api-canary, port: 80, weight: 40}]}, {backendRefs: [{name: api-stable, port: 80}]}]`, 40},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := decodeHTTPRoute(&unstructured.Unstructured{Object: storedRoute(t, tc.rules)})
			if err != nil {
				t.Fatal(err)
			}
			targets, err := selectTargets(h, services)
			if err != nil {
				t.Fatal(err)
			}
			if got := targets[0].canaryWeight(); got != tc.want {
				t.Errorf("canary weight = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMatchRuleNames(t *testing.T) {
	for name, want := range map[string]bool{
		"sluice-canary-match": true, "sluice-canary-match-2": true, "sluice-canary-match-": false,
		"sluice-canary-match-b": false, "sluice-canary-matcher": false, "main": false,
	} {
		if got := isMatchRuleName(name); got != want {
			t.Errorf("isMatchRuleName(%q) = %v, want %v", name, got, want)
		}
	}
	if got := matchRuleName(1); got != "sluice-canary-match-2" {
		t.Errorf("matchRuleName(1) = %q", got)
	}
}

func withRules(s v1alpha1.GatewayAPITraffic, rules ...string) v1alpha1.GatewayAPITraffic {
	s.Rules = rules
	return s
}

// storedRoute is an HTTPRoute in namespace shop as the API server returns
// it, with the given spec.rules written in YAML.
func storedRoute(t *testing.T, rules string) map[string]any {
	t.Helper()
	return map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "api", "namespace": "shop"},
		"spec":     map[string]any{"parentRefs": []any{map[string]any{"name": "gw"}}, "rules": testutil.FromYAML(t, rules)},
	}
}

func planFor(t *testing.T, doc map[string]any, spec v1alpha1.GatewayAPITraffic, match []v1alpha1.MatchRule, w int32) []routeutil.Op {
	t.Helper()
	h, err := decodeHTTPRoute(&unstructured.Unstructured{Object: doc})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := selectTargets(h, spec)
	if err != nil {
		t.Fatalf("selecting rules: %v", err)
	}
	ops, err := plan(h, targets, spec, desired{weight: &w, rules: match})
	if err != nil {
		t.Fatalf("planning: %v", err)
	}
	return ops
}

// applyPlan plans against doc and applies the patch the way the API
// server does.
func applyPlan(t *testing.T, doc map[string]any, spec v1alpha1.GatewayAPITraffic, match []v1alpha1.MatchRule, w int32) map[string]any {
	t.Helper()
	return testutil.ApplyPatch(t, doc, planFor(t, doc, spec, match, w))
}
