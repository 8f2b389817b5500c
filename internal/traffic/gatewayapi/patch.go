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
	var (
		have, next []any
		ours       []bool // next[i] is a match rule
		k          int
	)
	newIndex := map[int]int{}
	for _, r := range h.rules {
		have = append(have, r.raw)
		if isMatchRuleName(r.name) {
			continue
		}
		if t, ok := byIndex[r.index]; ok && len(rules) > 0 {
			mr, err := matchRule(matchRuleName(k), t, spec, rules, h.describe())
			if err != nil {
				return nil, nil, err
			}
			k++
			next, ours = append(next, mr), append(ours, true)
		}
		newIndex[r.index] = len(next)
		next, ours = append(next, r.raw), append(ours, false)
	}
	same, err := routeutil.SameJSON(have, next)
	if err != nil {
		return nil, nil, err
	}
	if same {
		return nil, newIndex, nil
	}
	if err := checkLimits(h, next); err != nil {
		return nil, nil, err
	}
	var ops []routeutil.Op
	for i := len(h.rules) - 1; i >= 0; i-- {
		if r := h.rules[i]; isMatchRuleName(r.name) {
			p := fmt.Sprintf("/spec/rules/%d", i)
			ops = append(ops, routeutil.Op{Op: "test", Path: p, Value: r.raw}, routeutil.Op{Op: "remove", Path: p})
		}
	}
	for pos, el := range next {
		if ours[pos] {
			// A match rule is always followed by the rule it stands for;
			// pin that rule so the insertion lands in front of it.
			p := fmt.Sprintf("/spec/rules/%d", pos)
			ops = append(ops, routeutil.Op{Op: "test", Path: p, Value: next[pos+1]}, routeutil.Op{Op: "add", Path: p, Value: el})
		}
	}
	return ops, newIndex, nil
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
