package convert

import (
	"regexp"
	"slices"

	"sluice.dev/sluice/api/v1alpha1"
)

// apexService writes the Service callers use, which Flagger generated and
// Sluice does not: it selects the pods of <target>-primary.
func (c *canary) apexService() {
	s := c.s
	port := map[string]any{"name": "http", "port": int64(c.port), "protocol": "TCP", "targetPort": int64(c.port)}
	if n := s.str("spec.service.portName"); n != "" {
		port["name"] = n
	}
	s.mapTo("spec.service.portName", "Service "+c.apex+" spec.ports[0].name")
	if tp, ok := s.value("spec.service.targetPort"); ok {
		port["targetPort"] = tp
	}
	if ap := s.str("spec.service.appProtocol"); ap != "" {
		port["appProtocol"] = ap
	}
	s.mapTo("spec.service.appProtocol", "Service "+c.apex+" spec.ports[0].appProtocol")
	spec := map[string]any{"type": "ClusterIP", "selector": c.primarySelector(), "ports": []any{port}}
	if td := s.str("spec.service.trafficDistribution"); td != "" {
		spec["trafficDistribution"] = td
	}
	s.mapTo("spec.service.trafficDistribution", "Service "+c.apex+" spec.trafficDistribution")
	meta := map[string]any{"name": c.apex}
	for _, k := range []string{"labels", "annotations"} {
		if m := s.object("spec.service.apex." + k); len(m) > 0 {
			meta[k] = deepCopy(m)
		}
		s.mapTo("spec.service.apex."+k, "Service "+c.apex+" metadata."+k)
	}
	s.mapTo("spec.service.name", "the names of the Service and the "+c.routerKind()+" "+c.apex)
	why := "Flagger generated the Service " + c.apex + ", the address callers use; Sluice does not, so here it is, selecting the pods of " + c.target + "-primary (it replaces Flagger's)"
	c.output(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}, why)
}

func (c *canary) routerKind() string {
	if c.provider == "istio" {
		return "VirtualService"
	}
	return "HTTPRoute"
}

// backends are the two Services Sluice creates for the target form.
func (c *canary) backends() (primary, canary string) {
	return c.target + "-primary", c.target + "-canary"
}

// istio writes the VirtualService Flagger generated (and DestinationRules
// for a traffic policy), all traffic on <target>-primary.
func (c *canary) istio() {
	s := c.s
	primary, canary := c.backends()
	route := map[string]any{"name": "main"}
	dest := func(host string, w int64) map[string]any {
		return map[string]any{"destination": map[string]any{"host": host, "port": map[string]any{"number": int64(c.port)}}, "weight": w}
	}
	route["route"] = []any{dest(primary, 100), dest(canary, 0)}
	spec0 := "VirtualService " + c.apex + " spec."
	to := spec0 + "http[0]."
	for _, k := range []string{"match", "retries", "timeout", "headers"} {
		if v, ok := s.value("spec.service." + k); ok {
			route[k] = deepCopy(v)
		}
		s.mapTo("spec.service."+k, to+k)
	}
	if rw := s.object("spec.service.rewrite"); rw != nil {
		out := map[string]any{}
		for _, k := range []string{"uri", "authority"} {
			if v, ok := rw[k]; ok {
				out[k] = v
			}
			s.mapTo("spec.service.rewrite."+k, to+"rewrite."+k)
		}
		s.drop("spec.service.rewrite.type", "a Gateway API rewrite type; Istio rewrites the prefix it matched")
		route["rewrite"] = out
	}
	if cors := s.object("spec.service.corsPolicy"); cors != nil {
		route["corsPolicy"] = istioCORS(s, to)
	}
	spec := map[string]any{"http": []any{route}}
	if s.boolean("spec.service.delegation") {
		s.mapTo("spec.service.delegation", "VirtualService "+c.apex+" (a delegate: no hosts, no gateways)")
	} else {
		s.mapTo("spec.service.delegation", "VirtualService "+c.apex+" spec.hosts and spec.gateways")
		hosts := s.strs("spec.service.hosts")
		if !slices.Contains(hosts, c.apex) {
			hosts = append(hosts, c.apex)
		}
		gateways := s.strs("spec.service.gateways")
		if len(gateways) == 0 {
			gateways = []string{"mesh"}
		}
		spec["hosts"], spec["gateways"] = strList(hosts), strList(gateways)
		s.mapTo("spec.service.hosts", spec0+"hosts")
		s.mapTo("spec.service.gateways", spec0+"gateways")
	}
	for _, k := range []string{"gatewayRefs", "mirror", "backendTimeout"} {
		s.drop("spec.service."+k, "used with the Gateway API provider only")
	}
	c.output(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": map[string]any{"name": c.apex}, "spec": spec},
		"Flagger generated the VirtualService "+c.apex+"; Sluice weights one you own, so here it is, all traffic on "+primary)
	if tp := s.object("spec.service.trafficPolicy"); tp != nil {
		for _, host := range []string{primary, canary} {
			c.output(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": map[string]any{"name": host},
				"spec": map[string]any{"host": host, "trafficPolicy": deepCopy(tp)}}, "Flagger generated the DestinationRule "+host+" for spec.service.trafficPolicy")
		}
		s.mapTo("spec.service.trafficPolicy", "DestinationRules "+primary+" and "+canary+" spec.trafficPolicy")
	}
	c.rel.Spec.Traffic.Istio = &v1alpha1.IstioTraffic{
		VirtualService: c.apex,
		Stable:         v1alpha1.IstioDestination{Host: primary},
		Canary:         v1alpha1.IstioDestination{Host: canary},
	}
}

// istioCORS copies a CORS policy, writing the deprecated allowOrigin as
// allowOrigins, which Istio's v1 API has instead.
func istioCORS(s *source, to string) map[string]any {
	out := deepCopy(s.object("spec.service.corsPolicy")).(map[string]any)
	if origins, ok := out["allowOrigin"].([]any); ok {
		delete(out, "allowOrigin")
		list, _ := out["allowOrigins"].([]any)
		for _, o := range origins {
			list = append(list, map[string]any{"exact": o})
		}
		out["allowOrigins"] = list
		s.mapTo("spec.service.corsPolicy.allowOrigin", to+"corsPolicy.allowOrigins", "as exact origins")
	}
	for k := range out {
		if k != "allowOrigin" {
			s.mapTo("spec.service.corsPolicy."+k, to+"corsPolicy."+k)
		}
	}
	return out
}

// gatewayAPI writes the HTTPRoute Flagger generated, all traffic on
// <target>-primary.
func (c *canary) gatewayAPI() {
	s := c.s
	primary, canary := c.backends()
	to := "HTTPRoute " + c.apex + " spec."
	if c.provider == "gatewayapi:v1beta1" {
		c.note("the HTTPRoute is written as gateway.networking.k8s.io/v1, the version Sluice reads")
	}
	backend := func(name string, w int64) map[string]any {
		return map[string]any{"name": name, "port": int64(c.port), "weight": w}
	}
	rule := map[string]any{"backendRefs": []any{backend(primary, 100), backend(canary, 0)}}
	if m := c.routeMatches(to + "rules[0].matches"); len(m) > 0 {
		rule["matches"] = m
	}
	if f := c.routeFilters(to + "rules[0].filters"); len(f) > 0 {
		rule["filters"] = f
	}
	timeouts := map[string]any{}
	for k, v := range map[string]string{"timeout": "request", "backendTimeout": "backendRequest"} {
		if d := s.str("spec.service." + k); d != "" {
			timeouts[v] = d
		}
		s.mapTo("spec.service."+k, to+"rules[0].timeouts."+v)
	}
	if len(timeouts) > 0 {
		rule["timeouts"] = timeouts
	}
	spec := map[string]any{"rules": []any{rule}}
	var parents []any
	for i := range s.list("spec.service.gatewayRefs") {
		p := index("spec.service.gatewayRefs", i)
		parents = append(parents, deepCopy(s.object(p)))
		s.mapTo(p, to+"parentRefs")
	}
	if len(parents) > 0 {
		spec["parentRefs"] = parents
	}
	if h := s.strs("spec.service.hosts"); len(h) > 0 {
		spec["hostnames"] = strList(h)
	}
	s.mapTo("spec.service.hosts", to+"hostnames")
	for k, why := range map[string]string{
		"gateways":      "Istio gateways; an HTTPRoute names its Gateways in spec.service.gatewayRefs",
		"retries":       "HTTPRoute retries are not in the standard Gateway API; set them in your Gateway implementation",
		"corsPolicy":    "set CORS with a filter of your Gateway implementation",
		"trafficPolicy": "DestinationRules are Istio's",
		"delegation":    "delegation is Istio's",
	} {
		s.drop("spec.service."+k, why)
	}
	c.output(map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": map[string]any{"name": c.apex}, "spec": spec},
		"Flagger generated the HTTPRoute "+c.apex+"; Sluice weights one you own, so here it is, all traffic on "+primary)
	c.rel.Spec.Traffic.GatewayAPI = &v1alpha1.GatewayAPITraffic{HTTPRoute: c.apex, StableService: primary, CanaryService: canary}
}

// routeFilters turns headers, rewrite and mirror into HTTPRoute filters.
func (c *canary) routeFilters(to string) []any {
	s := c.s
	var out []any
	for dir, typ := range map[string]string{"request": "RequestHeaderModifier", "response": "ResponseHeaderModifier"} {
		base := "spec.service.headers." + dir
		if s.object(base) == nil {
			continue
		}
		mod := map[string]any{}
		for _, op := range []string{"add", "set"} {
			var list []any
			for _, k := range sortedKeys(s.object(base + "." + op)) {
				list = append(list, map[string]any{"name": k, "value": s.str(join(base+"."+op, k))})
			}
			if len(list) > 0 {
				mod[op] = list
			}
		}
		if rm := s.strs(base + ".remove"); len(rm) > 0 {
			mod["remove"] = strList(rm)
		}
		key := "requestHeaderModifier"
		if dir == "response" {
			key = "responseHeaderModifier"
		}
		out = append(out, map[string]any{"type": typ, key: mod})
		s.mapTo(base, to+" ("+typ+")")
	}
	if rw := s.object("spec.service.rewrite"); rw != nil {
		f := map[string]any{}
		if a := s.str("spec.service.rewrite.authority"); a != "" {
			f["hostname"] = a
		}
		if u := s.str("spec.service.rewrite.uri"); u != "" {
			if s.str("spec.service.rewrite.type") == "ReplaceFullPath" {
				f["path"] = map[string]any{"type": "ReplaceFullPath", "replaceFullPath": u}
			} else {
				f["path"] = map[string]any{"type": "ReplacePrefixMatch", "replacePrefixMatch": u}
			}
		}
		out = append(out, map[string]any{"type": "URLRewrite", "urlRewrite": f})
		s.mapTo("spec.service.rewrite", to+" (URLRewrite)")
	}
	for i := range s.list("spec.service.mirror") {
		p := index("spec.service.mirror", i)
		out = append(out, map[string]any{"type": "RequestMirror", "requestMirror": map[string]any{"backendRef": deepCopy(s.object(p + ".backendRef"))}})
		s.mapTo(p, to+" (RequestMirror)", "mirrored requests are not part of the analysis")
	}
	return out
}

// routeMatches turns Istio-style matches into HTTPRoute matches.
func (c *canary) routeMatches(to string) []any {
	s := c.s
	var out []any
	for i := range s.list("spec.service.match") {
		p := index("spec.service.match", i)
		m := map[string]any{}
		for kind, typ := range map[string]string{"exact": "Exact", "prefix": "PathPrefix", "regex": "RegularExpression"} {
			if v := s.str(p + ".uri." + kind); v != "" {
				m["path"] = map[string]any{"type": typ, "value": v}
			}
		}
		s.mapTo(p+".uri", to+".path")
		for _, k := range []string{"headers", "queryParams"} {
			var list []any
			for _, name := range sortedKeys(s.object(p + "." + k)) {
				list = append(list, valueMatch(s, join(p+"."+k, name), name))
			}
			if len(list) > 0 {
				m[k] = list
			}
			s.mapTo(p+"."+k, to+"."+k)
		}
		if v := s.str(p + ".method.exact"); v != "" {
			m["method"] = v
		}
		s.mapTo(p+".method", to+".method", "an exact method")
		for _, k := range []string{"authority", "scheme", "port", "gateways", "sourceLabels", "ignoreUriCase", "withoutHeaders", "sourceNamespace", "name"} {
			s.drop(p+"."+k, "an Istio match with no HTTPRoute counterpart")
		}
		out = append(out, m)
	}
	return out
}

// valueMatch is an HTTPRoute header or query match; a prefix becomes a
// regular expression, which HTTPRoutes have instead.
func valueMatch(s *source, path, name string) map[string]any {
	switch {
	case s.has(path + ".exact"):
		return map[string]any{"name": name, "type": "Exact", "value": s.str(path + ".exact")}
	case s.has(path + ".prefix"):
		return map[string]any{"name": name, "type": "RegularExpression", "value": "^" + regexp.QuoteMeta(s.str(path+".prefix"))}
	default:
		return map[string]any{"name": name, "type": "RegularExpression", "value": s.str(path + ".regex")}
	}
}
