package v1alpha1

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MetricInfo is what validation knows about a metric name, so a range that
// can never be met (a success rate above 100) is caught before a release
// starts rather than by a rollback.
// +kubebuilder:object:generate=false
type MetricInfo struct {
	// Unit names what the values measure, for messages.
	Unit string
	// Min and Max bound the values a thresholdRange may name.
	Min, Max float64
}

// KnownMetrics are the metric names Validate accepts without a query. It
// is a variable so that sources of custom metrics can add theirs.
var KnownMetrics = map[string]MetricInfo{
	MetricRequestSuccessRate: {Unit: "percent", Min: 0, Max: 100},
	MetricRequestDuration:    {Unit: "milliseconds", Min: 0, Max: math.Inf(1)},
}

// QueryVariables are the placeholders a custom metric query may use,
// written {{ name }}; validation rejects any other, so a typo is caught
// before the query reaches Prometheus.
var QueryVariables = []string{"namespace", "target", "version", "window"}

// unbounded is the range of a metric defined by a query: its unit is
// whatever the query returns, so only NaN is refused.
var unbounded = MetricInfo{Min: math.Inf(-1), Max: math.Inf(1)}

// The CRD's MaxItems for the lists of this section.
const maxMetrics = 50

// notOnLocal is why Prometheus settings are refused on a local release.
const notOnLocal = "only Kubernetes releases read Prometheus"

func validateAnalysis(a *Analysis, driver string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	local := driver == driverLocal
	errs = appendErr(errs, positiveDuration(p.Child("interval"), a.Interval))
	if a.Threshold < 0 {
		errs = appendErr(errs, intRange(p.Child("threshold"), a.Threshold, 1, math.MaxInt32))
	}
	errs = appendErr(errs, positiveDuration(p.Child("noDataTimeout"), a.NoDataTimeout))
	if a.Prometheus != nil {
		pp := p.Child("prometheus")
		if local {
			errs = append(errs, field.Forbidden(pp, notOnLocal+"; with spec.workload.local the proxy measures requests itself"))
		}
		if a.Prometheus.Address != "" {
			errs = appendErr(errs, httpURL(pp.Child("address"), a.Prometheus.Address))
		}
	}
	if a.Judge != nil {
		errs = append(errs, validateJudge(a.Judge, p.Child("judge"))...)
	}
	errs = appendErr(errs, tooMany(p.Child("metrics"), len(a.Metrics), maxMetrics, "metrics"))
	first := map[string]int{}
	for i := range a.Metrics {
		mp := p.Child("metrics").Index(i)
		errs = append(errs, validateMetric(&a.Metrics[i], local, mp)...)
		name := a.Metrics[i].Name
		if j, dup := first[name]; dup && name != "" {
			errs = append(errs, duplicate(mp.Child("name"), name, "checked by", p.Child("metrics").Index(j)))
			continue
		}
		first[name] = i
	}
	return errs
}

// The bounds of spec.analysis.judge, as the CRD states them.
const (
	maxJudgeAlpha                 = 0.5
	maxJudgeLatencyMargin         = 1
	maxJudgeLatencyMarginAbsolute = time.Minute
)

// validateJudge checks the statistical judge's settings; zero alpha and
// minRequests mean their defaults.
func validateJudge(j *JudgeSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if math.IsNaN(j.Alpha) || j.Alpha < 0 || j.Alpha > maxJudgeAlpha {
		errs = append(errs, field.Invalid(p.Child("alpha"), fmtFloat(j.Alpha),
			fmt.Sprintf("%s is outside (0, %s]; 0 means the default, 0.01", fmtFloat(j.Alpha), fmtFloat(maxJudgeAlpha))))
	}
	if j.MinRequests < 0 {
		errs = append(errs, field.Invalid(p.Child("minRequests"), j.MinRequests, fmt.Sprintf("%d is negative", j.MinRequests)))
	}
	if m := j.LatencyMargin; m != nil && (math.IsNaN(*m) || *m < 0 || *m > maxJudgeLatencyMargin) {
		errs = append(errs, field.Invalid(p.Child("latencyMargin"), fmtFloat(*m),
			fmt.Sprintf("%s is outside 0..1: a fraction of stable's latency (0.2 is 20%%); 0 turns the margin off", fmtFloat(*m))))
	}
	if d := j.LatencyMarginAbsolute; d != nil && (d.Duration < 0 || d.Duration > maxJudgeLatencyMarginAbsolute) {
		errs = append(errs, field.Invalid(p.Child("latencyMarginAbsolute"), d.Duration.String(),
			fmt.Sprintf("%s is outside 0s..%s; 0s turns the margin off", d.Duration, maxJudgeLatencyMarginAbsolute)))
	}
	return errs
}

// validateMetric checks one metric. A query defines a custom metric, or
// replaces the built-in query of a known name; either way the range is the
// query's business, so it has no unit bounds.
func validateMetric(m *MetricCheck, local bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	info, known := KnownMetrics[m.Name]
	custom := m.Query != ""
	switch {
	case m.Name == "":
		errs = append(errs, field.Required(p.Child("name"), "must be set"))
	case !known && !custom:
		detail := fmt.Sprintf("%q is not a known metric; known metrics: %s", m.Name, knownMetricList())
		if !local {
			detail += "; or give a query"
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p.Child("name").String(), BadValue: m.Name, Detail: detail})
	}
	if custom {
		errs = append(errs, validateQuery(m.Query, local, p.Child("query"))...)
	}
	tr, tp := m.ThresholdRange, p.Child("thresholdRange")
	switch {
	case tr.Min == nil && tr.Max == nil:
		errs = append(errs, field.Required(tp, "needs min, max or both"))
	case tr.Min != nil && tr.Max != nil && *tr.Min > *tr.Max:
		errs = append(errs, field.Invalid(tp, fmt.Sprintf("%s..%s", fmtFloat(*tr.Min), fmtFloat(*tr.Max)),
			fmt.Sprintf("min %s is above max %s", fmtFloat(*tr.Min), fmtFloat(*tr.Max))))
	}
	if custom || !known {
		info = unbounded
	}
	errs = appendErr(errs, floatRange(tp.Child("min"), tr.Min, info))
	errs = appendErr(errs, floatRange(tp.Child("max"), tr.Max, info))
	errs = appendErr(errs, positiveDuration(p.Child("window"), m.Window))
	return errs
}

func knownMetricList() string {
	names := make([]string, 0, len(KnownMetrics))
	for n := range KnownMetrics {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// validateQuery checks a PromQL template as far as Sluice owns it: that it
// says something, and that its placeholders are ones Sluice fills in.
// PromQL itself is left to Prometheus.
func validateQuery(q string, local bool, p *field.Path) field.ErrorList {
	if strings.TrimSpace(q) == "" {
		return field.ErrorList{field.Required(p, "must not be blank: give a PromQL expression, or leave query out to use a known metric")}
	}
	var errs field.ErrorList
	if local {
		errs = append(errs, field.Forbidden(p, fmt.Sprintf(
			"%s; with spec.workload.local use a known metric: %s", notOnLocal, knownMetricList())))
	}
	return append(errs, validatePlaceholders(q, p)...)
}

// validatePlaceholders finds every {{ ... }} in q and names those that are
// not QueryVariables, each once, and a "{{" left open.
func validatePlaceholders(q string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	rest := q
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			break
		}
		size := strings.Index(rest[open+2:], "}}")
		if size < 0 {
			errs = append(errs, field.Invalid(p, q, fmt.Sprintf(
				`%q opens a placeholder that is not closed by "}}"`, excerpt(rest[open:], 16))))
			break
		}
		name := strings.TrimSpace(rest[open+2 : open+2+size])
		if !slices.Contains(QueryVariables, name) && !seen[name] {
			seen[name] = true
			shown := "{{ " + name + " }}"
			if name == "" {
				shown = "{{ }}"
			}
			errs = append(errs, field.Invalid(p, q, fmt.Sprintf(
				"%s is not a known placeholder; use %s", shown, placeholderList())))
		}
		rest = rest[open+2+size+2:]
	}
	return errs
}

func placeholderList() string {
	shown := make([]string, len(QueryVariables))
	for i, v := range QueryVariables {
		shown[i] = "{{ " + v + " }}"
	}
	return orList(shown)
}

// excerpt shortens s to n runes, marking the cut, to show where in a long
// query a problem is.
func excerpt(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}
