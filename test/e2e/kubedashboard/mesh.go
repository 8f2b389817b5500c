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

	"sluice.dev/sluice/test/e2e/istiomesh"
)

// Mesh serves what a Prometheus in an Istio mesh with Sluice scrapes:
// Istio's request metrics, with Istio's names, for api-v1 (stable) and
// api-v2 (canary) in each namespace, and Sluice's weight gauge for the
// releases given one. Each scrape first adds one batch of requests, so
// the figures are exact: stable 100 good requests at 8ms, canary 95 good
// and 5 failed with a slow tail (p99 in the 100–250ms bucket).
type Mesh struct {
	mu         sync.Mutex
	namespaces []string
	istio      *istiomesh.Metrics
	// Weight is Sluice's own sluice_release_canary_weight gauge: set a
	// release's to have Prometheus scrape it as if from the controller.
	Weight  *prometheus.GaugeVec
	handler http.Handler
}

// NewMesh is a Mesh of the api workloads of these namespaces.
func NewMesh(namespaces ...string) *Mesh {
	reg := prometheus.NewRegistry()
	m := &Mesh{
		namespaces: namespaces,
		istio:      istiomesh.New(reg),
		Weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_canary_weight", Help: "Percent of traffic the release sends to the canary.",
		}, []string{"namespace", "release"}),
	}
	reg.MustRegister(m.Weight)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *Mesh) serve(reporter, ns, workload, code string, n int, ms float64) {
	m.istio.Record(reporter, ns, workload, "unknown", code, n, ms)
}

// ServeHTTP adds one batch of requests and serves the metrics.
func (m *Mesh) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

// StartMesh serves m on 127.0.0.1 until the test ends and returns its
// host:port, for Prometheus to scrape.
func StartMesh(t testing.TB, m *Mesh) string {
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

// ClosedURL is an address where nothing listens.
func ClosedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

// Counter is a reverse proxy in front of Prometheus that counts range
// queries.
type Counter struct {
	URL    string
	Ranges atomic.Int64
}

// CountingProxy serves a Counter in front of target until the test ends.
func CountingProxy(t testing.TB, target string) *Counter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{}
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query_range" {
			c.Ranges.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	c.URL = "http://" + ln.Addr().String()
	return c
}
