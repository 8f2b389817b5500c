package convert

import (
	"fmt"
	"regexp"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
)

// metrics maps spec.analysis.metrics: the built-in two by name, the others
// by their query (inline, or a MetricTemplate's).
func (c *canary) metrics() error {
	s, a := c.s, &c.rel.Spec.Analysis
	if addr := s.str("spec.metricsServer"); addr != "" {
		a.Prometheus = &v1alpha1.PrometheusSource{Address: addr}
	}
	s.mapTo("spec.metricsServer", "spec.analysis.prometheus.address")
	for i := range s.list("spec.analysis.metrics") {
		p := index("spec.analysis.metrics", i)
		to := fmt.Sprintf("spec.analysis.metrics[%d]", len(a.Metrics))
		m := v1alpha1.MetricCheck{Name: s.str(p + ".name")}
		_, builtin := v1alpha1.KnownMetrics[m.Name]
		switch {
		case s.has(p + ".templateRef"):
			q, err := c.template(p, to)
			if err != nil {
				s.drop(p, err.Error())
				continue
			}
			m.Query = q
		case s.has(p + ".query"):
			q, err := c.query(s.str(p+".query"), s.object(p+".templateVariables"))
			if err != nil {
				s.drop(p, err.Error())
				continue
			}
			m.Query = q
			s.mapTo(p+".query", to+".query")
			s.mapTo(p+".templateVariables", to+".query", "written into the query")
		case !builtin:
			s.drop(p, fmt.Sprintf("a metric %q without a query or template; Sluice's built-in metrics are request-success-rate and request-duration", m.Name))
			continue
		}
		s.mapTo(p+".name", to+".name")
		if v, ok := s.num(p + ".thresholdRange.min"); ok {
			m.ThresholdRange.Min = float64p(v)
		}
		if v, ok := s.num(p + ".thresholdRange.max"); ok {
			m.ThresholdRange.Max = float64p(v)
		}
		s.mapTo(p+".thresholdRange", to+".thresholdRange")
		if v, ok := s.num(p + ".threshold"); ok && m.ThresholdRange.Min == nil && m.ThresholdRange.Max == nil {
			if m.Name == v1alpha1.MetricRequestSuccessRate {
				m.ThresholdRange.Min = float64p(v)
				s.mapTo(p+".threshold", to+".thresholdRange.min")
			} else {
				m.ThresholdRange.Max = float64p(v)
				s.mapTo(p+".threshold", to+".thresholdRange.max")
			}
		} else {
			s.drop(p+".threshold", "thresholdRange is used instead")
		}
		if m.ThresholdRange.Min == nil && m.ThresholdRange.Max == nil {
			s.drop(p, "a metric without a thresholdRange or threshold checks nothing")
			continue
		}
		d, err := s.duration(p + ".interval")
		if err != nil {
			return err
		}
		m.Window = d
		s.mapTo(p+".interval", to+".window")
		a.Metrics = append(a.Metrics, m)
	}
	return nil
}

// template reads the query of a metric's MetricTemplate.
func (c *canary) template(p, to string) (string, error) {
	s := c.s
	ns := s.str(p + ".templateRef.namespace")
	if ns == "" {
		ns = s.obj.namespace()
	}
	name := s.str(p + ".templateRef.name")
	o := c.in.find(flaggerGroup, "MetricTemplate", ns, name)
	if o == nil {
		return "", fmt.Errorf("the MetricTemplate %s is not in the input: give it to sluice convert with the Canary", name)
	}
	ts := newSource(o, metricTemplateReasons)
	c.used = append(c.used, ts)
	ts.mapTo("metadata.name", to+" (its query)")
	ts.mapTo("metadata.namespace", to+" (its query)")
	if t := ts.str("spec.provider.type"); t != "" && t != "prometheus" {
		ts.drop("spec", "Sluice reads metrics from Prometheus, not "+t)
		return "", fmt.Errorf("its MetricTemplate %s reads %s; Sluice reads metrics from Prometheus", name, t)
	}
	ts.mapTo("spec.provider.type", "spec.analysis.prometheus")
	q, err := c.query(ts.str("spec.query"), s.object(p+".templateVariables"))
	if err != nil {
		ts.drop("spec.query", err.Error())
		return "", err
	}
	ts.mapTo("spec.query", to+".query")
	s.mapTo(p+".templateRef", to+".query", "the query of the MetricTemplate "+name)
	s.mapTo(p+".templateVariables", to+".query", "written into the query")
	if addr := ts.str("spec.provider.address"); addr != "" {
		a := &c.rel.Spec.Analysis
		switch {
		case a.Prometheus == nil:
			a.Prometheus = &v1alpha1.PrometheusSource{Address: addr}
			ts.mapTo("spec.provider.address", "spec.analysis.prometheus.address")
		case a.Prometheus.Address == addr:
			ts.mapTo("spec.provider.address", "spec.analysis.prometheus.address")
		default:
			ts.drop("spec.provider.address", "a Release reads one Prometheus, "+a.Prometheus.Address)
			c.note("the MetricTemplate %s reads Prometheus at %s, but the Release reads %s for all its metrics", name, addr, a.Prometheus.Address)
		}
	}
	return q, nil
}

// flaggerPlaceholder is a Go template action in a Flagger query.
var flaggerPlaceholder = regexp.MustCompile(`\{\{-?\s*([^{}]*?)\s*-?\}\}`)

// query rewrites a Flagger query's placeholders into Sluice's: namespace
// and target stay (Sluice's {{ target }} is the canary's workload, as
// Flagger's target is the Deployment it runs the canary in), interval is
// window, and service, ingress and variables.NAME are written in.
func (c *canary) query(q string, vars map[string]any) (string, error) {
	var bad []string
	out := flaggerPlaceholder.ReplaceAllStringFunc(q, func(m string) string {
		name := flaggerPlaceholder.FindStringSubmatch(m)[1]
		switch {
		case name == "namespace" || name == "target":
			return "{{ " + name + " }}"
		case name == "interval":
			return "{{ window }}"
		case name == "service":
			return c.apex
		case name == "ingress" && c.s.str("spec.ingressRef.name") != "":
			return c.s.str("spec.ingressRef.name")
		case strings.HasPrefix(name, "variables."):
			if v, ok := vars[strings.TrimPrefix(name, "variables.")]; ok {
				return fmt.Sprint(v)
			}
		}
		bad = append(bad, m)
		return m
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("the query uses %s, which Sluice cannot fill in (it knows {{ namespace }}, {{ target }}, {{ interval }} as {{ window }}, {{ service }} and {{ variables.NAME }})", strings.Join(bad, ", "))
	}
	return out, nil
}
