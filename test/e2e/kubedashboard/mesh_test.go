package kubedashboard

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// istioBuckets are Istio's default request duration buckets (ms).
var istioBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

var meshLabels = []string{"reporter", "source_workload", "destination_workload_namespace", "destination_workload", "destination_version", "response_code"}

// mesh serves what a Prometheus in an Istio mesh with Sluice scrapes:
// Istio's request metrics, with Istio's names, for api-v1 (stable) and
// api-v2 (canary) in each namespace, and Sluice's weight gauge for the
// releases given one. Each scrape first adds one batch of requests, so
// the figures are exact: stable 100 good requests at 8ms, canary 95 good
// and 5 failed with a slow tail (p99 in the 100–250ms bucket).
type mesh struct {
	mu         sync.Mutex
	namespaces []string
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	weight     *prometheus.GaugeVec
	handler    http.Handler
}

func newMesh(namespaces ...string) *mesh {
	reg := prometheus.NewRegistry()
	m := &mesh{
		namespaces: namespaces,
		requests:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "istio_requests_total", Help: "Requests."}, meshLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "istio_request_duration_milliseconds", Help: "Request duration.", Buckets: istioBuckets,
		}, meshLabels),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_canary_weight", Help: "Percent of traffic the release sends to the canary.",
		}, []string{"namespace", "release"}),
	}
	reg.MustRegister(m.requests, m.duration, m.weight)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *mesh) serve(reporter, ns, workload, code string, n int, ms float64) {
	labels := []string{reporter, "ingress", ns, workload, "unknown", code}
	m.requests.WithLabelValues(labels...).Add(float64(n))
	h := m.duration.WithLabelValues(labels...)
	for range n {
		h.Observe(ms)
	}
}

func (m *mesh) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	for _, ns := range m.namespaces {
		m.serve("destination", ns, "api-v1", "200", 100, 8)
		m.serve("destination", ns, "api-v2", "200", 85, 40)
		m.serve("destination", ns, "api-v2", "200", 10, 180)
		m.serve("destination", ns, "api-v2", "503", 5, 40)
		// The caller's own report, which a correct query leaves out.
		m.serve("source", ns, "api-v2", "503", 100, 3000)
	}
	m.mu.Unlock()
	m.handler.ServeHTTP(w, r)
}

// startMesh serves m on 127.0.0.1 and returns its host:port.
func startMesh(t *testing.T, m *mesh) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// closedURL is an address where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

// counter is a reverse proxy in front of Prometheus that counts range
// queries.
type counter struct {
	url    string
	ranges atomic.Int64
}

func countingProxy(t *testing.T, target string) *counter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query_range" {
			c.ranges.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	c.url = "http://" + ln.Addr().String()
	return c
}
