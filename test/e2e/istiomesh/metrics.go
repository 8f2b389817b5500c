// Package istiomesh records requests the way Istio's proxies report them —
// istio_requests_total and istio_request_duration_milliseconds with Istio's
// label names and default buckets — for the exporters the end-to-end tests
// put in front of a real Prometheus, in place of a mesh.
package istiomesh

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Buckets are Istio's default request duration buckets, in milliseconds.
var Buckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// labels are the Istio standard labels the exporters set; Sluice's queries
// read the destination ones and reporter.
var labels = []string{"reporter", "source_workload", "destination_workload_namespace", "destination_workload", "destination_version", "response_code"}

// Metrics are one mesh's request metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New makes the metrics and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "istio_requests_total", Help: "Requests, as Istio's proxies count them."}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "istio_request_duration_milliseconds", Help: "Request duration, as Istio's proxies measure it.", Buckets: Buckets,
		}, labels),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Record adds n requests to a workload (called from "ingress"), as the
// reporter ("destination" or "source") saw them, each taking ms. n = 0
// creates the series at zero: a workload that exists but serves nothing.
func (m *Metrics) Record(reporter, ns, workload, version, code string, n int, ms float64) {
	lv := []string{reporter, "ingress", ns, workload, version, code}
	m.requests.WithLabelValues(lv...).Add(float64(max(n, 0)))
	h := m.duration.WithLabelValues(lv...)
	for range n {
		h.Observe(ms)
	}
}
