package convert

import (
	"fmt"
	"maps"

	"sluice.dev/sluice/api/v1alpha1"
)

const routingPath = canaryPath + ".trafficRouting"

// gatewayPlugin is the Argo Rollouts plugin for Gateway API HTTPRoutes.
const gatewayPlugin = "argoproj-labs/gatewayAPI"

// traffic points the Release at the Rollout's VirtualService or HTTPRoute,
// and writes what must change for Sluice's two Deployments.
func (r *rollout) traffic() error {
	s := r.s
	if n, ok := s.num(routingPath + ".maxTrafficWeight"); ok && n > 0 {
		r.maxWeight = int64(n)
	}
	s.mapTo(routingPath+".maxTrafficWeight", "spec.strategy.steps[].setWeight", "weights written as percent of it")
	if s.has(canaryPath + ".pingPong") {
		return fmt.Errorf("%s.pingPong: Sluice keeps a stable and a canary side; use stableService and canaryService", canaryPath)
	}
	switch {
	case s.has(routingPath + ".istio"):
		if err := r.istio(); err != nil {
			return err
		}
	case s.has(join(routingPath+".plugins", gatewayPlugin)):
		if err := r.gatewayAPI(); err != nil {
			return err
		}
	case s.has(routingPath):
		for _, k := range sortedKeys(s.object(routingPath)) {
			if k != "managedRoutes" && k != "maxTrafficWeight" {
				return fmt.Errorf("%s.%s: Sluice weights traffic in an Istio VirtualService or a Gateway API HTTPRoute (the %s plugin)", routingPath, k, gatewayPlugin)
			}
		}
		fallthrough
	default:
		return fmt.Errorf("%s: not set: without a router Argo splits traffic by replica counts; Sluice weights requests in an Istio VirtualService or a Gateway API HTTPRoute, so add one", routingPath)
	}
	return nil
}

// istio maps trafficRouting.istio: host-based (stable and canary Services)
// or subset-based (a DestinationRule).
func (r *rollout) istio() error {
	s, p := r.s, routingPath+".istio"
	vsPath := p + ".virtualService"
	if !s.has(vsPath) {
		vsPath = p + ".virtualServices[0]"
		for i := 1; i < len(s.list(p+".virtualServices")); i++ {
			s.drop(index(p+".virtualServices", i), "a Release weights one VirtualService; convert another Release for the others, or merge their routes")
		}
	}
	it := &v1alpha1.IstioTraffic{VirtualService: s.str(vsPath + ".name"), Routes: s.strs(vsPath + ".routes")}
	if it.VirtualService == "" {
		return fmt.Errorf("%s: no virtualService name", p)
	}
	s.mapTo(vsPath+".name", "spec.traffic.istio.virtualService")
	s.mapTo(vsPath+".routes", "spec.traffic.istio.routes")
	if s.has(p + ".destinationRule") {
		if err := r.subsets(it, p+".destinationRule"); err != nil {
			return err
		}
	} else {
		if r.stableSvc == "" || r.canarySvc == "" {
			return fmt.Errorf("%s: stableService and canaryService, or a destinationRule: not set", canaryPath)
		}
		stable, canary := r.hosts()
		it.Stable, it.Canary = v1alpha1.IstioDestination{Host: stable}, v1alpha1.IstioDestination{Host: canary}
		s.mapTo(canaryPath+".stableService", "spec.traffic.istio.stable.host")
		s.mapTo(canaryPath+".canaryService", "spec.traffic.istio.canary.host")
		r.services()
		if r.target != "" {
			r.rewriteVirtualService(it.VirtualService)
		}
	}
	r.rel.Spec.Traffic.Istio = it
	return nil
}

// hosts are the stable and canary Services the router sends to: the
// Rollout's own, or in the target form those Sluice creates.
func (r *rollout) hosts() (string, string) {
	if r.target != "" {
		return r.target + "-primary", r.target + "-canary"
	}
	return r.stableSvc, r.canarySvc
}

// subsets maps a DestinationRule's subsets, and writes the rule with
// subsets that select the two Deployments by label.
func (r *rollout) subsets(it *v1alpha1.IstioTraffic, p string) error {
	s := r.s
	name := s.str(p + ".name")
	stable, canary := s.str(p+".stableSubsetName"), s.str(p+".canarySubsetName")
	dr := r.in.find("networking.istio.io", "DestinationRule", r.s.obj.namespace(), name)
	var obj map[string]any
	host := ""
	if dr != nil {
		obj = deepCopy(dr.data).(map[string]any)
		host = str(obj, "spec", "host")
	} else if vs := r.in.find("networking.istio.io", "VirtualService", r.s.obj.namespace(), it.VirtualService); vs != nil {
		host = firstHost(vs.data)
	}
	if host == "" {
		return fmt.Errorf("%s: give the DestinationRule %s or the VirtualService %s to sluice convert, so the host of the subsets is known", p, name, it.VirtualService)
	}
	if obj == nil {
		obj = map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": map[string]any{"name": name}, "spec": map[string]any{"host": host}}
		r.note("the DestinationRule %s is not in the input: it is written with the two subsets only; add what else yours has", name)
	}
	spec := obj["spec"].(map[string]any)
	subsets, _ := spec["subsets"].([]any)
	for _, sub := range []struct{ name, role string }{{stable, "stable"}, {canary, "canary"}} {
		labels := map[string]any{trackLabel: sub.role}
		if r.target != "" {
			labels = map[string]any{roleLabel: map[string]string{"stable": "primary", "canary": "canary"}[sub.role]}
		}
		found := false
		for _, x := range subsets {
			if m, ok := x.(map[string]any); ok && m["name"] == sub.name {
				m["labels"], found = labels, true
			}
		}
		if !found {
			subsets = append(subsets, map[string]any{"name": sub.name, "labels": labels})
		}
	}
	spec["subsets"] = subsets
	r.res.Objects = append(r.res.Objects, Output{Object: r.withNamespace(cleanObject(obj)),
		Why: "the DestinationRule " + name + ": Argo put its pod-template hash into the subsets' labels; here they select the pods of the stable and canary versions by label"})
	it.DestinationRule = name
	it.Stable, it.Canary = v1alpha1.IstioDestination{Host: host, Subset: stable}, v1alpha1.IstioDestination{Host: host, Subset: canary}
	s.mapTo(p+".name", "spec.traffic.istio.destinationRule")
	s.mapTo(p+".stableSubsetName", "spec.traffic.istio.stable.subset")
	s.mapTo(p+".canarySubsetName", "spec.traffic.istio.canary.subset")
	s.mapTo(p+".additionalSubsetNames", "DestinationRule "+name+" (left as they are)")
	for _, k := range []string{"stableService", "canaryService"} {
		s.drop(canaryPath+"."+k, "with subsets the traffic is split inside the host "+host)
	}
	return nil
}

// firstHost is the host of a VirtualService's first HTTP destination.
func firstHost(vs map[string]any) string {
	routes, _ := get(vs, "spec", "http")
	for _, rt := range asList(routes) {
		dests, _ := get(rt.(map[string]any), "route")
		for _, d := range asList(dests) {
			if h := str(d.(map[string]any), "destination", "host"); h != "" {
				return h
			}
		}
	}
	return ""
}

func asList(v any) []any { l, _ := v.([]any); return l }

// gatewayAPI maps the Gateway API plugin's HTTPRoute.
func (r *rollout) gatewayAPI() error {
	s, p := r.s, join(routingPath+".plugins", gatewayPlugin)
	name := s.str(p + ".httpRoute")
	if name == "" {
		name = s.str(p + ".httpRoutes[0].name")
	}
	if name == "" || r.stableSvc == "" || r.canarySvc == "" {
		return fmt.Errorf("%s: needs httpRoute, and %s stableService and canaryService", p, canaryPath)
	}
	stable, canary := r.hosts()
	r.rel.Spec.Traffic.GatewayAPI = &v1alpha1.GatewayAPITraffic{HTTPRoute: name, StableService: stable, CanaryService: canary}
	s.mapTo(p, "spec.traffic.gatewayAPI.httpRoute", "the first HTTPRoute; a Release weights one")
	s.mapTo(canaryPath+".stableService", "spec.traffic.gatewayAPI.stableService")
	s.mapTo(canaryPath+".canaryService", "spec.traffic.gatewayAPI.canaryService")
	r.services()
	if r.target != "" {
		r.note("point the backendRefs of the HTTPRoute %s at %s and %s, the Services Sluice creates", name, stable, canary)
	}
	return nil
}

// services writes the stable and canary Services of the deployments form,
// selecting each Deployment's pods by trackLabel. Argo told them apart by
// its pod-template hash, which it wrote into the Services itself.
func (r *rollout) services() {
	if r.target != "" {
		for _, k := range []string{"stableService", "canaryService"} {
			r.s.drop(canaryPath+"."+k, "Sluice routes to "+r.target+"-primary and -canary, Services it creates")
		}
		return
	}
	for _, sv := range []struct{ name, role string }{{r.stableSvc, "stable"}, {r.canarySvc, "canary"}} {
		var obj map[string]any
		if o := r.in.find("", "Service", r.s.obj.namespace(), sv.name); o != nil {
			obj = cleanObject(deepCopy(o.data).(map[string]any))
		} else {
			port := int64(80)
			obj = map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": sv.name},
				"spec": map[string]any{"ports": []any{map[string]any{"name": "http", "port": port, "targetPort": r.containerPort(), "protocol": "TCP"}}}}
			r.note("the Service %s is not in the input: it is written with port 80 to the first container port; check it", sv.name)
		}
		spec := obj["spec"].(map[string]any)
		sel := map[string]any{}
		if ml := r.s.object("spec.selector.matchLabels"); ml != nil {
			maps.Copy(sel, ml)
		}
		sel[trackLabel] = sv.role
		spec["selector"] = sel
		r.res.Objects = append(r.res.Objects, Output{Object: r.withNamespace(obj),
			Why: "the Service " + sv.name + " selects the pods of the " + sv.role + " Deployment by " + trackLabel + ", where Argo wrote its pod-template hash into the selector"})
	}
}

// containerPort is the first container port of the pod template.
func (r *rollout) containerPort() any {
	if v, ok := r.s.value("spec.template.spec.containers[0].ports[0].containerPort"); ok {
		return v
	}
	return int64(80)
}

// servicePort reads the port of the stable Service, for the target form.
func (r *rollout) servicePort() (int32, int32, error) {
	o := r.in.find("", "Service", r.s.obj.namespace(), r.stableSvc)
	if o == nil {
		return 0, 0, fmt.Errorf("spec.workloadRef: give the Service %s to sluice convert, so the port of %s-primary and -canary is known", r.stableSvc, r.s.str("spec.workloadRef.name"))
	}
	ports, _ := get(o.data, "spec", "ports")
	for _, pt := range asList(ports) {
		pm := pt.(map[string]any)
		port, _ := pm["port"].(int64)
		tp, _ := pm["targetPort"].(int64)
		if port > 0 {
			return int32(port), int32(tp), nil
		}
	}
	return 0, 0, fmt.Errorf("the Service %s has no port", r.stableSvc)
}

// rewriteVirtualService points the VirtualService's stable and canary
// destinations at the Services of the target form.
func (r *rollout) rewriteVirtualService(name string) {
	o := r.in.find("networking.istio.io", "VirtualService", r.s.obj.namespace(), name)
	if o == nil {
		r.note("point the VirtualService %s at %s-primary and %s-canary, the Services Sluice creates", name, r.target, r.target)
		return
	}
	obj := cleanObject(deepCopy(o.data).(map[string]any))
	stable, canary := r.hosts()
	routes, _ := get(obj, "spec", "http")
	for _, rt := range asList(routes) {
		dests, _ := get(rt.(map[string]any), "route")
		for _, d := range asList(dests) {
			dest, _ := d.(map[string]any)["destination"].(map[string]any)
			switch dest["host"] {
			case r.stableSvc:
				dest["host"] = stable
			case r.canarySvc:
				dest["host"] = canary
			}
		}
	}
	r.res.Objects = append(r.res.Objects, Output{Object: r.withNamespace(obj), Why: "the VirtualService " + name + ", its destinations now " + stable + " and " + canary})
}

// cleanObject drops what a cluster wrote into an object, so it applies as
// new.
func cleanObject(obj map[string]any) map[string]any {
	if md, ok := obj["metadata"].(map[string]any); ok {
		for _, k := range clusterState {
			delete(md, k)
		}
		if an, ok := md["annotations"].(map[string]any); ok {
			delete(an, lastApplied)
			if len(an) == 0 {
				delete(md, "annotations")
			}
		}
	}
	delete(obj, "status")
	return obj
}
