package v1alpha1

import (
	"fmt"
	"net"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Warnings lists what is valid but almost certainly not what was meant: a
// success rate written as a fraction of 1 where it is a percent, a
// latency bound below a millisecond, a field that no longer has an effect.
// `sluice lint` prints them; they never stop a release, because each of
// them could, in some odd setup, be what someone wants.
func (r *Release) Warnings() field.ErrorList {
	var out field.ErrorList
	sp := field.NewPath("spec")
	if d := r.Spec.Workload.Deployments; d != nil && d.ScaleDownStable {
		out = append(out, field.Invalid(sp.Child("workload", "deployments", "scaleDownStable"), true,
			"has no effect any more: the stable Deployment always serves, and the idle canary is the one scaled to zero; leave it out"))
	}
	out = append(out, stepWarnings(r.Spec.Strategy.Steps, sp.Child("strategy", "steps"))...)
	if l := r.Spec.Workload.Local; l != nil && l.Stable.Version != "" && l.Stable.Version == l.Canary.Version &&
		(l.Stable.URL != l.Canary.URL || !slices.Equal(l.Stable.Command, l.Canary.Command)) {
		out = append(out, field.Invalid(sp.Child("workload", "local", "canary", "version"), l.Canary.Version, fmt.Sprintf(
			"%s is the stable's version too, for another command or URL: the two cannot be told apart in `sluice get`, the dashboard and the metrics; give the canary its own", l.Canary.Version)))
	}
	if p := r.Spec.Traffic.Proxy; p != nil && !loopbackListen(p.Listen) {
		out = append(out, field.Invalid(sp.Child("traffic", "proxy", "listen"), p.Listen, fmt.Sprintf(
			"%s is reachable from other machines, not only this one: right for a shared host, otherwise listen on 127.0.0.1", p.Listen)))
	}
	for i := range r.Spec.Analysis.Metrics {
		m := &r.Spec.Analysis.Metrics[i]
		if m.Query != "" {
			continue // the query's unit is its own
		}
		out = append(out, metricWarnings(m, sp.Child("analysis", "metrics").Index(i).Child("thresholdRange"))...)
	}
	return out
}

// metricWarnings looks at the range of a built-in metric for a value in
// another unit than the metric's.
func metricWarnings(m *MetricCheck, p *field.Path) field.ErrorList {
	var out field.ErrorList
	tr := m.ThresholdRange
	switch m.Name {
	case MetricRequestSuccessRate:
		if tr.Min != nil && *tr.Min > 0 && *tr.Min <= 1 {
			out = append(out, field.Invalid(p.Child("min"), *tr.Min, fmt.Sprintf(
				"%s is %s percent: %s is a percent from 0 to 100; did you mean %s?", fmtFloat(*tr.Min), fmtFloat(*tr.Min), m.Name, fmtFloat(*tr.Min*100))))
		}
		if tr.Min != nil && *tr.Min == 0 && tr.Max == nil {
			out = append(out, field.Invalid(p.Child("min"), 0.0, "a success rate of at least 0 percent always passes"))
		}
	case MetricRequestDuration:
		if tr.Max != nil && *tr.Max > 0 && *tr.Max < 1 {
			out = append(out, field.Invalid(p.Child("max"), *tr.Max, fmt.Sprintf(
				"%s is %s milliseconds: %s is in milliseconds; did you mean %s?", fmtFloat(*tr.Max), fmtFloat(*tr.Max), m.Name, fmtFloat(*tr.Max*1000))))
		}
		if tr.Max != nil && *tr.Max == 0 {
			out = append(out, field.Invalid(p.Child("max"), 0.0, "a p99 latency of at most 0 milliseconds always fails"))
		}
	}
	return out
}

// stepWarnings flags a weight lower than an earlier one: valid (traffic
// moves back to stable for a while), but far more often a typo.
func stepWarnings(steps []Step, p *field.Path) field.ErrorList {
	var out field.ErrorList
	highest := int32(0)
	for i, st := range steps {
		if st.SetWeight == nil {
			continue
		}
		if *st.SetWeight < highest {
			out = append(out, field.Invalid(p.Index(i).Child("setWeight"), *st.SetWeight, fmt.Sprintf(
				"%d%% is less than an earlier step's %d%%: the canary's traffic goes down mid-release", *st.SetWeight, highest)))
		}
		highest = max(highest, *st.SetWeight)
	}
	return out
}

// loopbackListen reports whether a listen address binds loopback only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // invalid addresses are validation's to report
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
