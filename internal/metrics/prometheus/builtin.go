package prometheus

import (
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
)

// The Istio standard metrics the built-in checks read. Only the receiving
// side's report (reporter="destination") is counted: both proxies of a call
// report it, and only the destination's report also covers callers outside
// the mesh, which have no proxy of their own.
const (
	istioRequests = "istio_requests_total"
	istioDuration = "istio_request_duration_milliseconds_bucket"
)

// selector is the label matchers of one workload's received requests, as
// template text; {{ version }} is matched only when the workload names a
// subset, because pods without a version label report "unknown".
func selector(withVersion bool) string {
	m := []string{
		`reporter="destination"`,
		`destination_workload_namespace="{{ namespace }}"`,
		`destination_workload="{{ target }}"`,
	}
	if withVersion {
		m = append(m, `destination_version="{{ version }}"`)
	}
	return strings.Join(m, ",")
}

// builtinTemplate is the query template of a built-in metric, or "" when
// name is not one.
func builtinTemplate(name string, withVersion bool) string {
	sel := selector(withVersion)
	switch name {
	case v1alpha1.MetricRequestSuccessRate:
		// 100 × non-5xx / all. No requests gives 0/0 = NaN: no data.
		return `100 * sum(rate(` + istioRequests + `{` + sel + `,response_code!~"5.*"}[{{ window }}]))` +
			` / sum(rate(` + istioRequests + `{` + sel + `}[{{ window }}]))`
	case v1alpha1.MetricRequestDuration:
		// The 99th percentile in milliseconds over the window.
		return `histogram_quantile(0.99, sum(rate(` + istioDuration + `{` + sel + `}[{{ window }}])) by (le))`
	}
	return ""
}

// MetricRequestRate is the requests per second a version receives. It is
// not a check (a rate has no threshold that means healthy): the dashboard
// charts it next to the checks' metrics, from the same selector.
const MetricRequestRate = "request-rate"

// chartTemplate is the query template of a metric only charts use, or ""
// when name is not one.
func chartTemplate(name string, withVersion bool) string {
	if name == MetricRequestRate {
		return `sum(rate(` + istioRequests + `{` + selector(withVersion) + `}[{{ window }}]))`
	}
	return ""
}

// isBuiltin reports whether name needs no query of its own.
func isBuiltin(name string) bool { return builtinTemplate(name, false) != "" }
