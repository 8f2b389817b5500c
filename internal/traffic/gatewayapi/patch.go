package gatewayapi

import (
	"fmt"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// desired is what a call wants the HTTPRoute to say.
type desired struct {
	// weight is the canary weight for every target; nil leaves weights as
	// they are.
	weight *int32
	// rules are the match rules; none means no match rules in the route.
	rules []v1alpha1.MatchRule
}

// plan returns the JSON patch that takes h to want, or nothing when it is
// there already. Every change is preceded by test operations on the values
// it was computed from (a target's backendRefs and name, a match rule, the
// rule a match rule is inserted in front of), so the patch fails as a
// whole if someone edited them since h was read, rather than overwriting
// their edit. Other rules and fields are not mentioned at all.
//
// Match rules are fixed first (removing Sluice's stale ones, inserting the
// wanted ones); weight operations follow, at the rules' new indexes.
func plan(h *httpRoute, targets []target, spec v1alpha1.GatewayAPITraffic, want desired) ([]routeutil.Op, error) {
	ops, newIndex, err := planMatchRules(h, targets, spec, want.rules)
	if err != nil {
		return nil, err
	}
	if want.weight != nil {
		ops = append(ops, planWeights(targets, newIndex, spec, *want.weight)...)
	}
	return ops, nil
}

// planMatchRules compares Sluice's match rules with the wanted ones and, if
// they differ in any way, removes them all and inserts the wanted ones.
// newIndex maps the index of each other rule in h to its index after.
func planMatchRules(h *httpRoute, targets []target, spec v1alpha1.GatewayAPITraffic, rules []v1alpha1.MatchRule) ([]routeutil.Op, map[int]int, error) {
	byIndex := map[int]target{}
	for _, t := range targets {
		byIndex[t.rule.index] = t
	}
	entries := make([]routeutil.Entry, len(h.rules))
	for i, r := range h.rules {
		entries[i] = routeutil.Entry{Index: r.index, Name: r.name, Raw: r.raw}
	}
	return routeutil.MatchList{
		Path:    "/spec/rules",
		IsMatch: isMatchRuleName,
		Build: func(k, index int) (map[string]any, error) {
			t, ok := byIndex[index]
			if !ok || len(rules) == 0 {
				return nil, nil
			}
			return matchRule(matchRuleName(k), t, spec, rules, h.describe())
		},
		Check: func(next []any) error { return checkLimits(h, next) },
	}.Plan(entries)
}

// checkLimits refuses a rule list the CRD would refuse, saying that the
// match rules are what makes it too long.
func checkLimits(h *httpRoute, rules []any) error {
	fp := matchPath.String()
	if len(rules) > maxRules {
		return kubeerr.Config(fp, h.describe(), "with its match rules %s would have %d rules; Gateway API allows %d", h.describe(), len(rules), maxRules)
	}
	total := 0
	for i, r := range rules {
		m, _ := r.(map[string]any)["matches"].([]any)
		if len(m) > maxMatchesPerRule {
			return kubeerr.Config(fp, h.describe(), "with the match rules, rule %d of %s would have %d matches; Gateway API allows %d", i, h.describe(), len(m), maxMatchesPerRule)
		}
		total += len(m)
	}
	if total > maxMatchesTotal {
		return kubeerr.Config(fp, h.describe(), "with its match rules %s would have %d matches; Gateway API allows %d", h.describe(), total, maxMatchesTotal)
	}
	return nil
}

// planWeights sets stable to 100-w and canary to w on every target, adding
// the canary backendRef where it is missing. BackendRefs that already carry
// the weight are left alone, so a repeated call is a no-op.
func planWeights(targets []target, newIndex map[int]int, spec v1alpha1.GatewayAPITraffic, w int32) []routeutil.Op {
	var ops []routeutil.Op
	for _, t := range targets {
		base := fmt.Sprintf("/spec/rules/%d", newIndex[t.rule.index])
		var change []routeutil.Op
		setWeight := func(j int, want int64) {
			if b := t.rule.refs[j]; !b.hasWeight || b.weight != want {
				change = append(change, routeutil.Op{Op: "add", Path: fmt.Sprintf("%s/backendRefs/%d/weight", base, j), Value: want})
			}
		}
		setWeight(t.stable, int64(100-w))
		if t.canary >= 0 {
			setWeight(t.canary, int64(w))
		} else {
			change = append(change, routeutil.Op{Op: "add", Path: base + "/backendRefs/-", Value: canaryRef(t, spec, int64(w))})
		}
		if len(change) == 0 {
			continue
		}
		ops = append(ops, routeutil.Op{Op: "test", Path: base + "/backendRefs", Value: t.rule.raw["backendRefs"]})
		if t.rule.name != "" {
			ops = append(ops, routeutil.Op{Op: "test", Path: base + "/name", Value: t.rule.name})
		}
		ops = append(ops, change...)
	}
	return ops
}
