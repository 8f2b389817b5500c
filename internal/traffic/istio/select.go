package istio

import (
	"fmt"
	"slices"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// selectTargets finds the HTTP routes to weight, in the order they appear
// in spec.http, and their stable and canary destinations. Anything a
// person must fix (a route that is not there, no stable destination, a
// third destination taking traffic) is a ConfigError naming the field.
func selectTargets(vs *virtualService, spec v1alpha1.IstioTraffic) ([]target, error) {
	ns := vs.obj.GetNamespace()
	if sameDestination(spec.Stable, spec.Canary, ns) {
		return nil, kubeerr.Config(specPath.Child("canary").String(), "",
			"canary %s is the same destination as stable", formatSpecDest(spec.Canary))
	}
	if len(spec.Routes) == 0 {
		return selectAll(vs, spec)
	}
	picked := map[int]bool{}
	var out []target
	for i, name := range spec.Routes {
		fp := specPath.Child("routes").Index(i).String()
		if isMatchRouteName(name) {
			return nil, kubeerr.Config(fp, vs.describe(), "%q is reserved for the routes Sluice adds for match rules", name)
		}
		rt := vs.routeNamed(name)
		if rt == nil {
			return nil, kubeerr.Config(fp, vs.describe(), "%s has no HTTP route named %q (it has %s)", vs.describe(), name, vs.routeNames())
		}
		if picked[rt.index] {
			continue
		}
		picked[rt.index] = true
		t, err := newTarget(vs, rt, spec, fp)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sortTargets(out)
	return out, nil
}

// selectAll takes every HTTP route that has a stable destination.
func selectAll(vs *virtualService, spec v1alpha1.IstioTraffic) ([]target, error) {
	ns := vs.obj.GetNamespace()
	var out []target
	for i := range vs.routes {
		rt := &vs.routes[i]
		if isMatchRouteName(rt.name) || rt.count(spec.Stable, ns) == 0 {
			continue
		}
		t, err := newTarget(vs, rt, spec, specPath.Child("routes").String())
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, kubeerr.Config(specPath.Child("stable").String(), vs.describe(),
			"no HTTP route of %s has the stable destination %s", vs.describe(), formatSpecDest(spec.Stable))
	}
	return out, nil
}

// newTarget checks one route: exactly one stable destination, at most one
// canary destination, and no other destination taking traffic (the weights
// Sluice writes must be the whole split). otherField is where to point
// when another destination takes traffic.
func newTarget(vs *virtualService, rt *httpRoute, spec v1alpha1.IstioTraffic, otherField string) (target, error) {
	ns := vs.obj.GetNamespace()
	t := target{route: rt, stable: -1, canary: -1}
	other := -1 // a destination that is neither, yet takes traffic
	label := rt.label()
	for j, d := range rt.dests {
		switch {
		case matchesDest(spec.Stable, d, ns):
			if t.stable >= 0 {
				return target{}, kubeerr.Config(specPath.Child("stable").String(), vs.describe(),
					"%s of %s has more than one stable destination %s; Sluice needs exactly one", label, vs.describe(), formatSpecDest(spec.Stable))
			}
			t.stable = j
		case matchesDest(spec.Canary, d, ns):
			if t.canary >= 0 {
				return target{}, kubeerr.Config(specPath.Child("canary").String(), vs.describe(),
					"%s of %s has more than one canary destination %s; Sluice needs at most one", label, vs.describe(), formatSpecDest(spec.Canary))
			}
			t.canary = j
		case rt.share(j) > 0 && other < 0:
			other = j
		}
	}
	if t.stable < 0 {
		return target{}, kubeerr.Config(specPath.Child("stable").String(), vs.describe(),
			"%s of %s has no stable destination %s", label, vs.describe(), formatSpecDest(spec.Stable))
	}
	if other >= 0 {
		return target{}, kubeerr.Config(otherField, vs.describe(),
			"%s of %s also sends traffic to %s, which is neither stable nor canary; give it weight 0 or name only the routes to weight",
			label, vs.describe(), formatDest(rt.dests[other]))
	}
	return t, nil
}

// canaryWeight is the percent of the route's traffic the canary gets;
// weights are relative in Istio, so they are normalised.
func (t target) canaryWeight() int32 {
	if t.canary < 0 {
		return 0
	}
	return routeutil.CanaryPercent(t.route.share(t.stable), t.route.share(t.canary))
}

// share is a destination's weight as Istio applies it: the weight when
// written; all the traffic for a lone destination without one; else 0.
func (rt *httpRoute) share(j int) int64 {
	d := rt.dests[j]
	switch {
	case d.hasWeight:
		return d.weight
	case len(rt.dests) == 1:
		return 100
	}
	return 0
}

func (rt *httpRoute) count(want v1alpha1.IstioDestination, ns string) int {
	n := 0
	for _, d := range rt.dests {
		if matchesDest(want, d, ns) {
			n++
		}
	}
	return n
}

func (rt *httpRoute) label() string {
	if rt.name != "" {
		return fmt.Sprintf("HTTP route %q", rt.name)
	}
	return fmt.Sprintf("HTTP route #%d (unnamed)", rt.index)
}

func (v *virtualService) routeNamed(name string) *httpRoute {
	for i := range v.routes {
		if v.routes[i].name == name {
			return &v.routes[i]
		}
	}
	return nil
}

func (v *virtualService) routeNames() string {
	var names []string
	for _, rt := range v.routes {
		if rt.name != "" && !isMatchRouteName(rt.name) {
			names = append(names, fmt.Sprintf("%q", rt.name))
		}
	}
	if len(names) == 0 {
		return "no named HTTP routes"
	}
	return strings.Join(names, ", ")
}

func sortTargets(ts []target) {
	slices.SortFunc(ts, func(a, b target) int { return a.route.index - b.route.index })
}

// matchesDest reports whether a route destination is the one the Release
// names. Without a host in the Release, the subset alone decides.
func matchesDest(want v1alpha1.IstioDestination, d destination, ns string) bool {
	if want.Subset != d.subset {
		return false
	}
	return want.Host == "" || sameHost(want.Host, d.host, ns)
}

func sameDestination(a, b v1alpha1.IstioDestination, ns string) bool {
	return a.Subset == b.Subset && (a.Host == b.Host || (a.Host != "" && b.Host != "" && sameHost(a.Host, b.Host, ns)))
}

// sameHost compares hosts the way Istio resolves short names: "api",
// "api.shop", "api.shop.svc" and "api.shop.svc.cluster.local" are one
// Service when the VirtualService lives in namespace shop.
func sameHost(a, b, ns string) bool {
	return a == b || canonicalHost(a, ns) == canonicalHost(b, ns)
}

func canonicalHost(h, ns string) string {
	switch parts := strings.Split(h, "."); {
	case len(parts) == 1:
		return h + "." + ns + ".svc.cluster.local"
	case len(parts) == 2 && parts[1] == ns:
		return h + ".svc.cluster.local"
	case len(parts) == 3 && parts[2] == "svc":
		return h + ".cluster.local"
	}
	return h
}

func formatSpecDest(d v1alpha1.IstioDestination) string {
	return formatDest(destination{host: d.Host, subset: d.Subset})
}

func formatDest(d destination) string {
	var parts []string
	if d.host != "" {
		parts = append(parts, "host "+d.host)
	}
	if d.subset != "" {
		parts = append(parts, "subset "+d.subset)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
