package controller

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// istioMetrics exports what a simulated mesh saw with Istio's metric names
// and labels, on a /metrics endpoint of its own for Prometheus to scrape.
type istioMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// Addr is the endpoint's host:port.
	Addr string
}

func serveIstioMetrics(t *testing.T) *istioMetrics {
	t.Helper()
	reg := prometheus.NewRegistry()
	labels := []string{"reporter", "destination_workload_namespace", "destination_workload", "destination_version", "response_code"}
	m := &istioMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "istio_requests_total"}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "istio_request_duration_milliseconds",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000}}, labels),
	}
	reg.MustRegister(m.requests, m.duration)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	m.Addr = ln.Addr().String()
	return m
}

// call sends one request to url and records it for workload, as Envoy's
// destination reporter would.
func (m *istioMetrics) call(ctx context.Context, hc *http.Client, ns, workload, version, url string) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
	if err != nil {
		return
	}
	code := 503
	if resp, err := hc.Do(req); err == nil {
		code = resp.StatusCode
		_ = resp.Body.Close()
	} else if ctx.Err() != nil {
		return
	}
	labels := prometheus.Labels{"reporter": "destination", "destination_workload_namespace": ns,
		"destination_workload": workload, "destination_version": version, "response_code": strconv.Itoa(code)}
	m.requests.With(labels).Inc()
	m.duration.With(labels).Observe(float64(time.Since(start).Milliseconds()))
}
