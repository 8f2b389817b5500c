package istio

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// MatchRouteName names the HTTP route Sluice puts in front of a weighted
// route while the Release has match rules (A/B): it matches what that
// route matches plus the rules' headers and cookies, and sends it all to
// the canary. When several routes are weighted each gets its own, named
// MatchRouteName, MatchRouteName-2, MatchRouteName-3, … in route order, so
// a rewrite or timeout of one route is never applied to another's traffic.
// Routes with these names belong to Sluice: it rewrites and removes them.
const MatchRouteName = "sluice-canary-match"

// matchPath is where match rules live in a Release.
var matchPath = field.NewPath("spec", "traffic", "match")

func matchRouteName(k int) string {
	if k == 0 {
		return MatchRouteName
	}
	return fmt.Sprintf("%s-%d", MatchRouteName, k+1)
}

func isMatchRouteName(name string) bool {
	if name == MatchRouteName {
		return true
	}
	rest, ok := strings.CutPrefix(name, MatchRouteName+"-")
	if !ok || rest == "" {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}

// matchRoute builds the route that stands in front of t's route: a copy of
// it (rewrite, timeout, retries, fault, headers stay, so the canary is
// reached the same way) whose match also requires the rules, and whose
// only destination is the canary.
func matchRoute(name string, t target, spec v1alpha1.IstioTraffic, rules []v1alpha1.MatchRule, object string) (map[string]any, error) {
	matches, err := combineMatches(t.route, rules, object)
	if err != nil {
		return nil, err
	}
	rt := runtime.DeepCopyJSON(t.route.raw)
	rt["name"] = name
	rt["match"] = matches
	rt["route"] = []any{map[string]any{"destination": canaryDestination(t, spec), "weight": int64(100)}}
	return rt, nil
}

// canaryDestination is the route's canary destination as written, or a
// new one on the stable destination's host (unless the Release names
// another) and port.
func canaryDestination(t target, spec v1alpha1.IstioTraffic) map[string]any {
	if t.canary >= 0 {
		if d, ok := t.route.dests[t.canary].raw["destination"].(map[string]any); ok {
			return runtime.DeepCopyJSON(d)
		}
	}
	stable, _ := t.route.dests[t.stable].raw["destination"].(map[string]any)
	host := spec.Canary.Host
	if host == "" {
		host, _ = stable["host"].(string)
	}
	d := map[string]any{"host": host}
	if spec.Canary.Subset != "" {
		d["subset"] = spec.Canary.Subset
	}
	if port, ok := stable["port"]; ok {
		d["port"] = runtime.DeepCopyJSONValue(port)
	}
	return d
}

// combineMatches returns, for each of the route's match requests (or one
// that matches everything) and each rule, the request with the rule's
// headers and cookies added. A rule that tests a header the route already
// tests is refused: one header has one condition in Istio, and dropping
// either would change who reaches the canary.
func combineMatches(rt *httpRoute, rules []v1alpha1.MatchRule, object string) ([]any, error) {
	existing, _ := rt.raw["match"].([]any)
	if len(existing) == 0 {
		existing = []any{map[string]any{}}
	}
	var out []any
	for _, el := range existing {
		base, ok := el.(map[string]any)
		if !ok {
			return nil, kubeerr.Config(specPath.Child("virtualService").String(), object, "%s of %s has a match that is not an object", rt.label(), object)
		}
		for i, rule := range rules {
			m := runtime.DeepCopyJSON(base)
			headers, _ := m["headers"].(map[string]any)
			if headers == nil {
				headers = map[string]any{}
			}
			if err := addRule(headers, rule, matchPath.Index(i), rt.label(), object); err != nil {
				return nil, err
			}
			m["headers"] = headers
			out = append(out, m)
		}
	}
	return out, nil
}

func addRule(headers map[string]any, rule v1alpha1.MatchRule, p *field.Path, label, object string) error {
	names := make([]string, 0, len(rule.Headers))
	for n := range rule.Headers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		key := strings.ToLower(n) // Istio wants header names in lower case
		if _, dup := headers[key]; dup {
			return kubeerr.Config(p.Child("headers").Key(n).String(), object,
				"%s of %s already matches header %q; a rule cannot add a second condition on it", label, object, key)
		}
		headers[key] = stringMatch(rule.Headers[n])
	}
	if len(rule.Cookies) == 0 {
		return nil
	}
	if _, dup := headers["cookie"]; dup {
		return kubeerr.Config(p.Child("cookies").String(), object,
			"%s of %s already matches the cookie header; cookie rules cannot be added to it", label, object)
	}
	re, err := routeutil.CookieRegex(rule.Cookies)
	if err != nil {
		return kubeerr.Config(p.Child("cookies").String(), object, "%v", err)
	}
	headers["cookie"] = map[string]any{"regex": re}
	return nil
}

func stringMatch(m v1alpha1.StringMatch) map[string]any {
	switch {
	case m.Exact != "":
		return map[string]any{"exact": m.Exact}
	case m.Prefix != "":
		return map[string]any{"prefix": m.Prefix}
	}
	return map[string]any{"regex": m.Regex}
}
