package gatewayapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// MatchRuleName names the rule Sluice puts in front of a weighted rule
// while the Release has match rules (A/B): it matches what that rule
// matches plus the rules' headers and cookies, and sends it all to the
// canary. When several rules are weighted each gets its own, named
// MatchRuleName, MatchRuleName-2, MatchRuleName-3, … in rule order, so a
// filter of one rule is never applied to another's traffic. Rules with
// these names belong to Sluice: it rewrites and removes them.
//
// Gateway API orders matches by specificity before list order; a match
// rule's matches are its rule's plus more header conditions, so they win
// over the rule they stand in front of.
const MatchRuleName = "sluice-canary-match"

// The HTTPRoute CRD's limits, checked before patching so that exceeding
// them is a ConfigError naming the match rules rather than a refused patch.
const (
	maxRules          = 16
	maxMatchesPerRule = 64
	maxMatchesTotal   = 128
)

// matchPath is where match rules live in a Release.
var matchPath = field.NewPath("spec", "traffic", "match")

func matchRuleName(k int) string {
	if k == 0 {
		return MatchRuleName
	}
	return fmt.Sprintf("%s-%d", MatchRuleName, k+1)
}

func isMatchRuleName(name string) bool {
	if name == MatchRuleName {
		return true
	}
	rest, ok := strings.CutPrefix(name, MatchRuleName+"-")
	if !ok || rest == "" {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}

// matchRule builds the rule that stands in front of t's rule: a copy of it
// (filters and timeouts stay, so the canary is reached the same way) whose
// matches also require the rules' headers and cookies, and whose only
// backend is the canary.
func matchRule(name string, t target, spec v1alpha1.GatewayAPITraffic, rules []v1alpha1.MatchRule, object string) (map[string]any, error) {
	matches, err := combineMatches(t.rule, rules, object)
	if err != nil {
		return nil, err
	}
	r := runtime.DeepCopyJSON(t.rule.raw)
	r["name"] = name
	r["matches"] = matches
	r["backendRefs"] = []any{canaryRef(t, spec, 1)}
	return r, nil
}

// canaryRef is the rule's canary backendRef as written, or a new one to
// the canary Service with the stable backendRef's port, namespace, kind
// and group; either way with the given weight.
func canaryRef(t target, spec v1alpha1.GatewayAPITraffic, weight int64) map[string]any {
	if t.canary >= 0 {
		ref := runtime.DeepCopyJSON(t.rule.refs[t.canary].raw)
		ref["weight"] = weight
		return ref
	}
	stable := t.rule.refs[t.stable].raw
	ref := map[string]any{"name": spec.CanaryService, "weight": weight}
	for _, k := range []string{"group", "kind", "namespace", "port"} {
		if v, ok := stable[k]; ok {
			ref[k] = runtime.DeepCopyJSONValue(v)
		}
	}
	return ref
}

// combineMatches returns, for each of the rule's matches and each match
// rule, the match with the rule's header conditions added. A rule that
// tests a header the match already tests is refused: Gateway API honours
// only the first condition on a header name.
func combineMatches(r *rule, rules []v1alpha1.MatchRule, object string) ([]any, error) {
	existing, _ := r.raw["matches"].([]any)
	if len(existing) == 0 {
		// The CRD's default: everything.
		existing = []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"}}}
	}
	var out []any
	for _, el := range existing {
		base, ok := el.(map[string]any)
		if !ok {
			return nil, kubeerr.Config(specPath.Child("httpRoute").String(), object, "%s of %s has a match that is not an object", r.label(), object)
		}
		for i, mr := range rules {
			m := runtime.DeepCopyJSON(base)
			headers, _ := m["headers"].([]any)
			headers, err := addRule(headers, mr, matchPath.Index(i), r.label(), object)
			if err != nil {
				return nil, err
			}
			m["headers"] = headers
			out = append(out, m)
		}
	}
	return out, nil
}

func addRule(headers []any, mr v1alpha1.MatchRule, p *field.Path, label, object string) ([]any, error) {
	have := map[string]bool{}
	for _, h := range headers {
		if hm, ok := h.(map[string]any); ok {
			if n, ok := hm["name"].(string); ok {
				have[strings.ToLower(n)] = true
			}
		}
	}
	names := make([]string, 0, len(mr.Headers))
	for n := range mr.Headers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if have[strings.ToLower(n)] {
			return nil, kubeerr.Config(p.Child("headers").Key(n).String(), object,
				"%s of %s already matches header %q; a rule cannot add a second condition on it", label, object, n)
		}
		have[strings.ToLower(n)] = true
		headers = append(headers, headerMatch(n, mr.Headers[n]))
	}
	if len(mr.Cookies) == 0 {
		return headers, nil
	}
	if have["cookie"] {
		return nil, kubeerr.Config(p.Child("cookies").String(), object,
			"%s of %s already matches the Cookie header; cookie rules cannot be added to it", label, object)
	}
	re, err := routeutil.CookieRegex(mr.Cookies)
	if err != nil {
		return nil, kubeerr.Config(p.Child("cookies").String(), object, "%v", err)
	}
	return append(headers, headerMatch("Cookie", v1alpha1.StringMatch{Regex: re})), nil
}

// headerMatch is the Gateway API form of one condition, with the type
// written out as the CRD would default it. Gateway API has no prefix
// match, so a prefix becomes an anchored regular expression.
func headerMatch(name string, m v1alpha1.StringMatch) map[string]any {
	typ, value := gatewayv1.HeaderMatchRegularExpression, m.Regex
	switch {
	case m.Exact != "":
		typ, value = gatewayv1.HeaderMatchExact, m.Exact
	case m.Prefix != "":
		value = "^" + regexp.QuoteMeta(m.Prefix) + ".*"
	}
	return map[string]any{"name": name, "type": string(typ), "value": value}
}
