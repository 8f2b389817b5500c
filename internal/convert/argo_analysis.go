package convert

import (
	"fmt"
	"regexp"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
)

// argoArg is a {{ args.NAME }} placeholder of an Argo query.
var argoArg = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)

// analysisRef maps a RolloutAnalysis (a step's or the background one):
// the metrics of its templates go into spec.analysis.metrics. It returns
// the passing checks a step waits for and how many metrics it gave.
func (r *rollout) analysisRef(p, to string) (int32, int, error) {
	s := r.s
	args := r.args(s, p+".args", nil)
	passes, n := int32(1), 0
	for i := range s.list(p + ".templates") {
		tp := index(p+".templates", i)
		kind := "AnalysisTemplate"
		if s.boolean(tp + ".clusterScope") {
			kind = "ClusterAnalysisTemplate"
		}
		name := s.str(tp + ".templateName")
		pass, got, err := r.template(kind, name, args, 0)
		if err != nil {
			s.drop(tp, err.Error())
			continue
		}
		passes, n = max(passes, pass), n+got
		where := "spec.analysis.metrics"
		if strings.HasPrefix(to, "spec.strategy") {
			where = to + " and spec.analysis.metrics"
		}
		s.mapTo(tp, where, "the metrics of the "+kind+" "+name)
	}
	return passes, n, nil
}

// args reads a list of Argo arguments over the values in base.
func (r *rollout) args(s *source, p string, base map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := range s.list(p) {
		ap := index(p, i)
		name := s.str(ap + ".name")
		switch {
		case s.has(ap + ".value"):
			out[name] = s.str(ap + ".value")
			s.mapTo(ap, "the queries of spec.analysis.metrics", "written into them")
		case s.has(ap + ".valueFrom.fieldRef.fieldPath"):
			if v, ok := r.fieldRef(s.str(ap + ".valueFrom.fieldRef.fieldPath")); ok {
				out[name] = v
				s.mapTo(ap, "the queries of spec.analysis.metrics", "written into them")
			} else {
				s.drop(ap, "a field Sluice cannot read into a query; a metric using it is left out")
			}
		case s.has(ap + ".valueFrom.podTemplateHashValue"):
			s.drop(ap, "Sluice has no pod-template hash; select the canary with {{ target }} (its workload) or {{ version }} (its subset)")
		case s.has(ap + ".valueFrom.secretKeyRef"):
			s.drop(ap, "Sluice puts no Secret into a query; a metric using it is left out")
		default:
			s.mapTo(ap, "the queries of spec.analysis.metrics", "an argument the Rollout gives a value")
		}
	}
	return out
}

// fieldRef reads a field of the Rollout for an argument.
func (r *rollout) fieldRef(path string) (string, bool) {
	switch {
	case path == "metadata.name":
		return r.name, true
	case path == "metadata.namespace":
		return "{{ namespace }}", true
	case strings.HasPrefix(path, "metadata.labels['") && strings.HasSuffix(path, "']"):
		v := r.s.str(join("metadata.labels", strings.TrimSuffix(strings.TrimPrefix(path, "metadata.labels['"), "']")))
		return v, v != ""
	}
	return "", false
}

// template maps the metrics of one (Cluster)AnalysisTemplate.
func (r *rollout) template(kind, name string, args map[string]string, depth int) (int32, int, error) {
	o := r.in.find(argoGroup, kind, r.s.obj.namespace(), name)
	if o == nil {
		return 0, 0, fmt.Errorf("the %s %s is not in the input: give it to sluice convert with the Rollout", kind, name)
	}
	if depth > 5 {
		return 0, 0, fmt.Errorf("the %s %s nests templates too deep", kind, name)
	}
	key := o.ref()
	ts, seen := r.used[key]
	if !seen {
		ts = newSource(o, analysisTemplateReasons)
		r.used[key] = ts
		ts.mapTo("metadata.name", "the metrics of "+r.s.obj.ref())
		ts.mapTo("metadata.namespace", "the metrics of "+r.s.obj.ref())
	}
	defaults := r.args(ts, "spec.args", nil)
	for k, v := range args {
		defaults[k] = v
	}
	passes, n := int32(1), 0
	for i := range ts.list("spec.templates") {
		tp := index("spec.templates", i)
		k := "AnalysisTemplate"
		if ts.boolean(tp + ".clusterScope") {
			k = "ClusterAnalysisTemplate"
		}
		pass, got, err := r.template(k, ts.str(tp+".templateName"), defaults, depth+1)
		if err != nil {
			ts.drop(tp, err.Error())
			continue
		}
		passes, n = max(passes, pass), n+got
		ts.mapTo(tp, "spec.analysis.metrics")
	}
	dry := map[string]bool{}
	for i := range ts.list("spec.dryRun") {
		dry[ts.str(index("spec.dryRun", i)+".metricName")] = true
	}
	ts.mapTo("spec.dryRun", "(the metrics named are left out)")
	for i := range ts.list("spec.metrics") {
		mp := index("spec.metrics", i)
		if dry[ts.str(mp+".name")] || dry["*"] {
			ts.drop(mp, "a dry-run metric decides nothing in Argo; Sluice has no dry run, so it is left out")
			continue
		}
		pass, err := r.metric(ts, mp, defaults)
		if err != nil {
			if _, used := ts.marks[mp+".name"]; !used {
				ts.drop(mp, err.Error())
			}
			r.note("the metric %s of the %s %s was left out where %s uses it: %v", ts.str(mp+".name"), kind, name, r.s.obj.ref(), err)
			continue
		}
		passes, n = max(passes, pass), n+1
	}
	return passes, n, nil
}

// metric maps one metric of an AnalysisTemplate; it returns the passes a
// step with it waits for.
func (r *rollout) metric(ts *source, mp string, args map[string]string) (int32, error) {
	a := &r.rel.Spec.Analysis
	name := ts.str(mp + ".name")
	if !ts.has(mp + ".provider.prometheus") {
		for _, k := range sortedKeys(ts.object(mp + ".provider")) {
			return 0, fmt.Errorf("it reads %s; Sluice reads metrics from Prometheus", k)
		}
		return 0, fmt.Errorf("it has no provider")
	}
	var missing []string
	q := argoArg.ReplaceAllStringFunc(ts.str(mp+".provider.prometheus.query"), func(m string) string {
		arg := argoArg.FindStringSubmatch(m)[1]
		if v, ok := args[arg]; ok {
			return v
		}
		missing = append(missing, arg)
		return m
	})
	if len(missing) > 0 {
		return 0, fmt.Errorf("its query uses the argument(s) %s, which have no value Sluice can use", strings.Join(missing, ", "))
	}
	if strings.Contains(strings.ReplaceAll(q, "{{ namespace }}", ""), "{{") {
		return 0, fmt.Errorf("its query has a placeholder Sluice cannot fill in")
	}
	for i, m := range a.Metrics {
		if m.Name == name {
			if m.Query != q {
				return 0, fmt.Errorf("a metric %q with another query is checked already (spec.analysis.metrics[%d])", name, i)
			}
			return 1, nil
		}
	}
	to := fmt.Sprintf("spec.analysis.metrics[%d]", len(a.Metrics))
	m := v1alpha1.MetricCheck{Name: name, Query: q}
	var how []string
	for _, cond := range []struct {
		key     string
		success bool
	}{{"successCondition", true}, {"failureCondition", false}} {
		expr := ts.str(mp + "." + cond.key)
		if expr == "" {
			continue
		}
		lo, hi, strict, err := rangeOf(expr, cond.success)
		if err != nil {
			return 0, err
		}
		if lo != nil && (m.ThresholdRange.Min == nil || *lo > *m.ThresholdRange.Min) {
			m.ThresholdRange.Min = lo
		}
		if hi != nil && (m.ThresholdRange.Max == nil || *hi < *m.ThresholdRange.Max) {
			m.ThresholdRange.Max = hi
		}
		if strict {
			how = append(how, "a strict bound is read as including the number")
		}
		ts.mapTo(mp+"."+cond.key, to+".thresholdRange", how...)
	}
	if m.ThresholdRange.Min == nil && m.ThresholdRange.Max == nil {
		return 0, fmt.Errorf("it has no successCondition or failureCondition to check against")
	}
	ts.mapTo(mp+".name", to+".name")
	ts.mapTo(mp+".provider.prometheus.query", to+".query")
	if addr := ts.str(mp + ".provider.prometheus.address"); addr != "" {
		switch {
		case a.Prometheus == nil:
			a.Prometheus = &v1alpha1.PrometheusSource{Address: addr}
			ts.mapTo(mp+".provider.prometheus.address", "spec.analysis.prometheus.address")
		case a.Prometheus.Address == addr:
			ts.mapTo(mp+".provider.prometheus.address", "spec.analysis.prometheus.address")
		default:
			ts.drop(mp+".provider.prometheus.address", "a Release reads one Prometheus, "+a.Prometheus.Address)
		}
	}
	if d, err := ts.duration(mp + ".interval"); err != nil {
		return 0, err
	} else if d != nil {
		if a.Interval == nil || d.Duration < a.Interval.Duration {
			a.Interval = d
		}
		ts.mapTo(mp+".interval", "spec.analysis.interval", "a Release checks all its metrics at one interval, the shortest")
	}
	limit := int32(0)
	if v, ok := ts.num(mp + ".failureLimit"); ok {
		limit = int32(v)
	}
	if a.Threshold == 0 || limit+1 < a.Threshold {
		a.Threshold = limit + 1
	}
	ts.mapTo(mp+".failureLimit", "spec.analysis.threshold", "failureLimit + 1 failed checks roll back")
	if !ts.has(mp+".failureLimit") && !r.strictNoted {
		r.strictNoted = true
		r.note("Argo fails an analysis at the first failed measurement unless failureLimit says otherwise: the Release rolls back after %d failed check(s)", a.Threshold)
	}
	passes := int32(1)
	for _, k := range []string{"count", "consecutiveSuccessLimit"} {
		if v, ok := ts.num(mp + "." + k); ok && int32(v) > passes {
			passes = int32(v)
		}
		ts.mapTo(mp+"."+k, "spec.strategy.steps[].analysis.passes", "passing checks in a row the gate waits for")
	}
	a.Metrics = append(a.Metrics, m)
	return passes, nil
}
