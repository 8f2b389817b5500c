package proxy

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// collector exposes the proxy's atomic counters to Prometheus. It reads them
// at scrape time, so the request path never touches client_golang.
type collector struct {
	p        *Proxy
	requests *prometheus.Desc
	duration *prometheus.Desc
	inFlight *prometheus.Desc
	weight   *prometheus.Desc
	refused  *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

// classLabels are the code_class label values, indexed like counters.classes.
var classLabels = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func newCollector(p *Proxy) *collector {
	release := prometheus.Labels{"release": p.opts.Release}
	return &collector{
		p: p,
		requests: prometheus.NewDesc("sluice_proxy_requests_total",
			"Requests served through the Sluice proxy, by version and status class. Upstream connection failures count as 5xx.",
			[]string{"version", "code_class"}, release),
		duration: prometheus.NewDesc("sluice_proxy_request_duration_seconds",
			"Time from receiving a request to finishing its response, by version.",
			[]string{"version"}, release),
		inFlight: prometheus.NewDesc("sluice_proxy_requests_in_flight",
			"Requests being served now, by version.",
			[]string{"version"}, release),
		weight: prometheus.NewDesc("sluice_proxy_canary_weight",
			"Percent of unmatched requests the proxy sends to the canary.",
			nil, release),
		refused: prometheus.NewDesc("sluice_proxy_client_errors_total",
			"Requests the proxy answered itself for the client's fault (malformed, over a limit, too slow), by status. They are in no version's series.",
			[]string{"code"}, release),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.requests
	ch <- c.duration
	ch <- c.inFlight
	ch <- c.weight
	ch <- c.refused
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for v := range numVersions {
		name := v.String()
		cnt := c.p.stats[v]
		classes := cnt.classSnapshot()
		for i, n := range classes {
			ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(n), name, classLabels[i])
		}
		vs := cnt.snapshotWith(classes)
		cumulative := make(map[float64]uint64, len(LatencyBounds))
		var count uint64
		for i, b := range LatencyBounds {
			count += vs.Buckets[i]
			cumulative[b] = count
		}
		count += vs.Buckets[len(LatencyBounds)]
		ch <- prometheus.MustNewConstHistogram(c.duration, count, vs.Sum, cumulative, name)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(cnt.inFlight.Load()), name)
	}
	ch <- prometheus.MustNewConstMetric(c.weight, prometheus.GaugeValue, float64(c.p.Route().CanaryWeight))
	for i, code := range clientErrorCodes {
		n := c.p.clientErrs.n[i].Load()
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
}

func newMetricsHandler(c prometheus.Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Collector returns the proxy's metrics as a prometheus.Collector, for
// programs that serve their own registry.
func (p *Proxy) Collector() prometheus.Collector { return p.collector }

// MetricsHandler serves the proxy's metrics in the Prometheus exposition
// format from a private registry, so it shows only this proxy's series.
func (p *Proxy) MetricsHandler() http.Handler { return p.metrics }
