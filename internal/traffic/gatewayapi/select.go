package gatewayapi

import (
	"fmt"
	"slices"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// selectTargets finds the rules to weight, in the order they appear in
// spec.rules, and their stable and canary backendRefs. Anything a person
// must fix (a rule that is not there, no stable backend, a third backend
// taking traffic) is a ConfigError naming the field.
func selectTargets(h *httpRoute, spec v1alpha1.GatewayAPITraffic) ([]target, error) {
	if spec.StableService == spec.CanaryService {
		return nil, kubeerr.Config(specPath.Child("canaryService").String(), "",
			"canary Service %q is the stable Service too", spec.CanaryService)
	}
	if len(spec.Rules) == 0 {
		return selectAll(h, spec)
	}
	picked := map[int]bool{}
	var out []target
	for i, name := range spec.Rules {
		fp := specPath.Child("rules").Index(i).String()
		if isMatchRuleName(name) {
			return nil, kubeerr.Config(fp, h.describe(), "%q is reserved for the rules Sluice adds for match rules", name)
		}
		r := h.ruleNamed(name)
		if r == nil {
			return nil, kubeerr.Config(fp, h.describe(), "%s has no rule named %q (it has %s)", h.describe(), name, h.ruleNames())
		}
		if picked[r.index] {
			continue
		}
		picked[r.index] = true
		t, err := newTarget(h, r, spec, fp)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b target) int { return a.rule.index - b.rule.index })
	return out, nil
}

// selectAll takes every rule with a backendRef to the stable Service.
func selectAll(h *httpRoute, spec v1alpha1.GatewayAPITraffic) ([]target, error) {
	var out []target
	for i := range h.rules {
		r := &h.rules[i]
		if isMatchRuleName(r.name) || !slices.ContainsFunc(r.refs, func(b backendRef) bool {
			return b.isService(spec.StableService, h.obj.GetNamespace())
		}) {
			continue
		}
		t, err := newTarget(h, r, spec, specPath.Child("rules").String())
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, kubeerr.Config(specPath.Child("stableService").String(), h.describe(),
			"no rule of %s has a backendRef to the stable Service %q", h.describe(), spec.StableService)
	}
	return out, nil
}

// newTarget checks one rule: exactly one stable backendRef, at most one
// canary backendRef, and no other backend taking traffic (the weights
// Sluice writes must be the whole split). otherField is where to point
// when another backend takes traffic.
func newTarget(h *httpRoute, r *rule, spec v1alpha1.GatewayAPITraffic, otherField string) (target, error) {
	ns := h.obj.GetNamespace()
	t := target{rule: r, stable: -1, canary: -1}
	other := -1
	for j, b := range r.refs {
		switch {
		case b.isService(spec.StableService, ns):
			if t.stable >= 0 {
				return target{}, kubeerr.Config(specPath.Child("stableService").String(), h.describe(),
					"%s of %s has more than one backendRef to the stable Service %q; Sluice needs exactly one", r.label(), h.describe(), spec.StableService)
			}
			t.stable = j
		case b.isService(spec.CanaryService, ns):
			if t.canary >= 0 {
				return target{}, kubeerr.Config(specPath.Child("canaryService").String(), h.describe(),
					"%s of %s has more than one backendRef to the canary Service %q; Sluice needs at most one", r.label(), h.describe(), spec.CanaryService)
			}
			t.canary = j
		case r.share(j) > 0 && other < 0:
			other = j
		}
	}
	if t.stable < 0 {
		return target{}, kubeerr.Config(specPath.Child("stableService").String(), h.describe(),
			"%s of %s has no backendRef to the stable Service %q", r.label(), h.describe(), spec.StableService)
	}
	if other >= 0 {
		b := r.refs[other]
		return target{}, kubeerr.Config(otherField, h.describe(),
			"%s of %s also sends traffic to %s %q, which is neither stable nor canary; give it weight 0 or name only the rules to weight",
			r.label(), h.describe(), kindOf(b), b.name)
	}
	return t, nil
}

// canaryWeight is the percent of the rule's traffic the canary gets;
// Gateway API weights are relative, so they are normalised.
func (t target) canaryWeight() int32 {
	if t.canary < 0 {
		return 0
	}
	return routeutil.CanaryPercent(t.rule.share(t.stable), t.rule.share(t.canary))
}

// share is a backendRef's weight as Gateway API applies it: 1 when not
// written.
func (r *rule) share(j int) int64 {
	if b := r.refs[j]; b.hasWeight {
		return b.weight
	}
	return 1
}

func (r *rule) label() string {
	if r.name != "" {
		return fmt.Sprintf("rule %q", r.name)
	}
	return fmt.Sprintf("rule #%d (unnamed)", r.index)
}

func (h *httpRoute) ruleNamed(name string) *rule {
	for i := range h.rules {
		if h.rules[i].name == name {
			return &h.rules[i]
		}
	}
	return nil
}

func (h *httpRoute) ruleNames() string {
	var names []string
	for _, r := range h.rules {
		if r.name != "" && !isMatchRuleName(r.name) {
			names = append(names, fmt.Sprintf("%q", r.name))
		}
	}
	if len(names) == 0 {
		return "no named rules"
	}
	return strings.Join(names, ", ")
}

func kindOf(b backendRef) string {
	if b.kind == "" {
		return "Service"
	}
	return b.kind
}
