package convert

import (
	"fmt"
	"maps"

	"sluice.dev/sluice/api/v1alpha1"
)

// The Flagger kinds sluice convert reads.
const (
	flaggerGroup = "flagger.app"
	roleLabel    = "sluice.dev/role" // the label Sluice's -primary pods carry
)

// canary converts one Flagger Canary.
type canary struct {
	in   *Input
	s    *source
	rel  *v1alpha1.Release
	res  *Result
	used []*source // the MetricTemplates and AlertProviders it refers to

	target, apex string // the Deployment, and the Service callers use
	port         int32
	provider     string
}

// convertCanary converts one Canary and what it refers to.
func convertCanary(in *Input, o *object) (*Result, error) {
	c := &canary{in: in, s: newSource(o, canaryReasons), res: &Result{Source: "Flagger " + o.ref()}}
	c.rel = newRelease(c.s)
	for _, step := range []func() error{c.workload, c.traffic, c.analysis} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("%s: %w", o.ref(), err)
		}
	}
	if c.s.boolean("spec.suspend") {
		c.rel.Spec.Paused = true
	}
	c.s.mapTo("spec.suspend", "spec.paused", "a paused Release holds its step, but its checks still run and may roll it back")
	c.res.Release = c.rel
	c.res.Fields = append(c.res.Fields, SourceFields{Object: o.ref(), Fields: c.s.fields()})
	for _, u := range c.used {
		c.res.Fields = append(c.res.Fields, SourceFields{Object: u.obj.ref(), Fields: u.fields()})
	}
	return c.res, nil
}

// workload makes the target form: Sluice keeps <target>-primary as stable
// and runs each new template of the target as <target>-canary, as Flagger
// does with its -primary copy.
func (c *canary) workload() error {
	s := c.s
	switch kind := s.str("spec.targetRef.kind"); kind {
	case "Deployment", "":
	default:
		return fmt.Errorf("spec.targetRef.kind: %s: Sluice releases Deployments only", kind)
	}
	c.target = s.str("spec.targetRef.name")
	if c.target == "" {
		return fmt.Errorf("spec.targetRef.name: not set")
	}
	s.mapTo("spec.targetRef.name", "spec.workload.target.deployment")
	s.mapTo("spec.targetRef.kind", "spec.workload.target (a Deployment)")
	s.mapTo("spec.targetRef.apiVersion", "spec.workload.target (apps/v1)")

	port, ok := s.num("spec.service.port")
	if !ok || port < 1 || port > 65535 {
		return fmt.Errorf("spec.service.port: not set or not a port")
	}
	c.port = int32(port)
	t := &v1alpha1.TargetWorkload{Deployment: c.target, Port: c.port}
	s.mapTo("spec.service.port", "spec.workload.target.port")
	if tp, ok := s.value("spec.service.targetPort"); ok {
		switch v := tp.(type) {
		case int64:
			t.TargetPort = int32(v)
			s.mapTo("spec.service.targetPort", "spec.workload.target.targetPort")
		case string:
			if n := c.containerPort(v); n > 0 {
				t.TargetPort = n
				s.mapTo("spec.service.targetPort", "spec.workload.target.targetPort", fmt.Sprintf("the number of the container port named %s", v))
			} else {
				s.mapTo("spec.service.targetPort", "the Service "+c.apexName()+" (targetPort)", "spec.workload.target.targetPort needs a number")
				c.note("spec.service.targetPort %q is a port name, and the Deployment %s is not in the input to look it up: set spec.workload.target.targetPort to its number, or the -primary and -canary Services send to port %d", v, c.target, c.port)
			}
		}
	}
	c.rel.Spec.Workload.Target = t
	c.note("Sluice creates the Deployments and Services %s-primary and %s-canary itself and takes over none it did not create: delete Flagger's before applying the Release, once traffic is off them (deleting the Canary with revertOnDeletion: true gives the target its replicas and the traffic back)", c.target, c.target)
	c.apex = c.apexName()
	if c.apex != c.target {
		c.note("the Services Sluice creates are %s-primary and %s-canary (after the Deployment), where Flagger's were %s-primary and %s-canary", c.target, c.target, c.apex, c.apex)
	}
	return nil
}

func (c *canary) apexName() string {
	if n := c.s.str("spec.service.name"); n != "" {
		return n
	}
	return c.target
}

// deployment is the target Deployment, when the input has it.
func (c *canary) deployment() *object {
	return c.in.find("apps", "Deployment", c.s.obj.namespace(), c.target)
}

// containerPort finds a named port among the target's containers.
func (c *canary) containerPort(name string) int32 {
	d := c.deployment()
	if d == nil {
		return 0
	}
	containers, _ := get(d.data, "spec", "template", "spec", "containers")
	list, _ := containers.([]any)
	for _, ct := range list {
		ports, _ := get(ct.(map[string]any), "ports")
		pl, _ := ports.([]any)
		for _, p := range pl {
			pm, _ := p.(map[string]any)
			if pm["name"] == name {
				if n, ok := pm["containerPort"].(int64); ok {
					return int32(n)
				}
			}
		}
	}
	return 0
}

// primarySelector selects the pods of <target>-primary: the target's
// selector labels plus the role Sluice adds. Without the Deployment in the
// input, Flagger's convention (app: <target>) is assumed.
func (c *canary) primarySelector() map[string]any {
	sel := map[string]any{}
	if d := c.deployment(); d != nil {
		if ml, ok := get(d.data, "spec", "selector", "matchLabels"); ok {
			maps.Copy(sel, ml.(map[string]any))
		}
	}
	if len(sel) == 0 {
		sel["app"] = c.target
		c.note("the Deployment %s is not in the input: the Service %s selects app: %s, Flagger's convention; check it against the Deployment's selector", c.target, c.apex, c.target)
	}
	sel[roleLabel] = "primary"
	return sel
}

// traffic writes the router objects Flagger generated and points the
// Release at them.
func (c *canary) traffic() error {
	s := c.s
	c.provider = s.str("spec.provider")
	if c.provider == "" {
		c.provider = "istio"
		c.note("spec.provider is not set (Flagger took its -mesh-provider flag): Istio is assumed")
	}
	s.mapTo("spec.provider", "spec.traffic")
	switch c.provider {
	case "istio":
		c.istio()
	case "gatewayapi:v1", "gatewayapi:v1beta1", "gatewayapi":
		c.gatewayAPI()
	default:
		return fmt.Errorf("spec.provider: %s: Sluice weights traffic in an Istio VirtualService or a Gateway API HTTPRoute; convert the Canary with one of those", c.provider)
	}
	c.apexService()
	return c.match()
}

// note adds a line for the user to read.
func (c *canary) note(format string, args ...any) {
	c.res.Notes = append(c.res.Notes, fmt.Sprintf(format, args...))
}

// output adds an object to write beside the Release.
func (c *canary) output(obj map[string]any, why string) {
	if ns := c.s.obj.namespace(); ns != "" {
		obj["metadata"].(map[string]any)["namespace"] = ns
	}
	c.res.Objects = append(c.res.Objects, Output{Object: obj, Why: why})
}
