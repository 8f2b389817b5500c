package istio

import (
	"fmt"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// desired is what a call wants the VirtualService to say.
type desired struct {
	// weight is the canary weight for every target; nil leaves weights as
	// they are.
	weight *int32
	// rules are the match rules; none means no match routes.
	rules []v1alpha1.MatchRule
}

// plan returns the JSON patch that takes vs to want, or nothing when it is
// there already. Every change is preceded by test operations on the values
// it was computed from (a target's route list and name, a match route, the
// route a match route is inserted in front of), so the patch fails as a
// whole if someone edited them since vs was read, rather than overwriting
// their edit. Other routes and fields are not mentioned at all.
//
// Match routes are fixed first (removing Sluice's stale ones, inserting
// the wanted ones); weight operations follow, at the routes' new indexes.
func plan(vs *virtualService, targets []target, spec v1alpha1.IstioTraffic, want desired) ([]routeutil.Op, error) {
	ops, newIndex, err := planMatchRoutes(vs, targets, spec, want.rules)
	if err != nil {
		return nil, err
	}
	if want.weight != nil {
		ops = append(ops, planWeights(targets, newIndex, spec, *want.weight)...)
	}
	return ops, nil
}

// planMatchRoutes compares Sluice's match routes with the wanted ones and,
// if they differ in any way, removes them all and inserts the wanted ones.
// newIndex maps the index of each other route in vs to its index after.
func planMatchRoutes(vs *virtualService, targets []target, spec v1alpha1.IstioTraffic, rules []v1alpha1.MatchRule) ([]routeutil.Op, map[int]int, error) {
	byIndex := map[int]target{}
	for _, t := range targets {
		byIndex[t.route.index] = t
	}
	entries := make([]routeutil.Entry, len(vs.routes))
	for i, rt := range vs.routes {
		entries[i] = routeutil.Entry{Index: rt.index, Name: rt.name, Raw: rt.raw}
	}
	return routeutil.MatchList{
		Path:    "/spec/http",
		IsMatch: isMatchRouteName,
		Build: func(k, index int) (map[string]any, error) {
			t, ok := byIndex[index]
			if !ok || len(rules) == 0 {
				return nil, nil
			}
			return matchRoute(matchRouteName(k), t, spec, rules, vs.describe())
		},
	}.Plan(entries)
}

// planWeights sets stable to 100-w and canary to w on every target,
// adding the canary destination where it is missing. Destinations that
// already carry the weight are left alone, so a repeated call is a no-op.
func planWeights(targets []target, newIndex map[int]int, spec v1alpha1.IstioTraffic, w int32) []routeutil.Op {
	var ops []routeutil.Op
	for _, t := range targets {
		base := fmt.Sprintf("/spec/http/%d", newIndex[t.route.index])
		var change []routeutil.Op
		setWeight := func(j int, want int64) {
			if d := t.route.dests[j]; !d.hasWeight || d.weight != want {
				change = append(change, routeutil.Op{Op: "add", Path: fmt.Sprintf("%s/route/%d/weight", base, j), Value: want})
			}
		}
		setWeight(t.stable, int64(100-w))
		if t.canary >= 0 {
			setWeight(t.canary, int64(w))
		} else {
			change = append(change, routeutil.Op{Op: "add", Path: base + "/route/-", Value: map[string]any{
				"destination": canaryDestination(t, spec),
				"weight":      int64(w),
			}})
		}
		if len(change) == 0 {
			continue
		}
		ops = append(ops, routeutil.Op{Op: "test", Path: base + "/route", Value: t.route.raw["route"]})
		if t.route.name != "" {
			ops = append(ops, routeutil.Op{Op: "test", Path: base + "/name", Value: t.route.name})
		}
		ops = append(ops, change...)
	}
	return ops
}
