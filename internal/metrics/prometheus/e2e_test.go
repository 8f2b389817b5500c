package prometheus

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/test/e2e/envtest"
	"sluice.dev/sluice/test/e2e/istiomesh"
)

// meshExporter exposes Istio's standard request metrics, with Istio's label
// names and latency buckets, for a few workloads. Every scrape first adds
// one batch of requests, so the counters grow with time exactly in step
// with Prometheus' samples: every series has samples at the same instants
// and proportional values, which makes rates' extrapolation identical for
// all of them and the expected ratios exact rather than approximately
// right.
type meshExporter struct {
	mu      sync.Mutex
	mesh    *istiomesh.Metrics
	handler http.Handler
}

func newMeshExporter() *meshExporter {
	reg := promclient.NewRegistry()
	e := &meshExporter{mesh: istiomesh.New(reg)}
	// A workload that exists but serves nothing: its series are 0 forever.
	e.mesh.Record("destination", "shop", "api-idle", "v0", "200", 0, 0)
	e.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return e
}

// serve records n requests of a workload, with status code and latency.
func (e *meshExporter) serve(reporter, ns, workload, version, code string, n int, ms float64) {
	e.mesh.Record(reporter, ns, workload, version, code, n, ms)
}

func (e *meshExporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	// Stable: 100 good, fast requests.
	e.serve("destination", "shop", "api-v1", "v1", "200", 100, 8)
	// Canary: 5% 503s and a slow tail: p99 lands in the (100, 250] bucket.
	e.serve("destination", "shop", "api-v2", "v2", "200", 85, 40)
	e.serve("destination", "shop", "api-v2", "v2", "200", 10, 180)
	e.serve("destination", "shop", "api-v2", "v2", "503", 5, 40)
	// Decoys a correct query must not count: the callers' own reports of
	// the canary, and a workload of the same name in another namespace.
	e.serve("source", "shop", "api-v2", "v2", "503", 100, 3000)
	e.serve("destination", "other", "api-v2", "v2", "500", 100, 3000)
	e.mu.Unlock()
	e.handler.ServeHTTP(w, r)
}

// startMesh serves the exporter on 127.0.0.1 and a Prometheus scraping it
// every second, and waits until the canary's success rate is queryable.
func startMesh(t *testing.T) *envtest.Prometheus {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: newMeshExporter(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	p := envtest.StartPrometheus(t, []string{ln.Addr().String()})
	s, err := New(p.API, shop, nil, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	q, err := s.Query(v1alpha1.MetricRequestSuccessRate, "canary", testWindow)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.WaitForSeries(ctx, q, 30*time.Second); err != nil {
		t.Fatalf("waiting for the exporter's data: %v", err)
	}
	return p
}

const testWindow = 30 * time.Second

func TestPrometheusEndToEnd(t *testing.T) {
	p := startMesh(t)
	ctx := context.Background()
	custom := []v1alpha1.MetricCheck{
		{Name: "error-percent", Query: `100 * sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",` +
			`destination_workload="{{ target }}",destination_version="{{ version }}",response_code=~"5.."}[{{ window }}]))` +
			` / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ window }}]))`},
		{Name: "per-reporter", Query: `sum by (reporter) (rate(istio_requests_total{destination_workload="{{ target }}"}[{{ window }}]))`},
		{Name: "infinite", Query: `sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ window }}])) / 0`},
		{Name: "broken", Query: `sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ window }}])`},
	}
	src, err := New(p.API, shop, custom, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sample := func(t *testing.T, s *Source, metric, version string) analysis.Sample {
		t.Helper()
		got, err := s.Sample(ctx, metric, version, testWindow, time.Now())
		if err != nil {
			t.Fatalf("Sample(%s, %s): %v", metric, version, err)
		}
		if got.NoData {
			t.Fatalf("Sample(%s, %s): no data: %s", metric, version, got.Reason)
		}
		return got
	}
	near := func(t *testing.T, what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
		}
	}

	t.Run("success rate", func(t *testing.T) {
		near(t, "canary success rate", sample(t, src, v1alpha1.MetricRequestSuccessRate, "canary").Value, 95, 0.01)
		near(t, "stable success rate", sample(t, src, v1alpha1.MetricRequestSuccessRate, "stable").Value, 100, 0.01)
	})
	t.Run("p99 latency", func(t *testing.T) {
		canary := sample(t, src, v1alpha1.MetricRequestDuration, "canary").Value
		stable := sample(t, src, v1alpha1.MetricRequestDuration, "stable").Value
		// 99th of 100 per batch: the 9th of 10 in (100, 250] → 235; stable
		// all in (5, 10] → 9.95.
		near(t, "canary p99", canary, 235, 0.5)
		near(t, "stable p99", stable, 9.95, 0.05)
	})
	t.Run("custom query", func(t *testing.T) {
		near(t, "canary error percent", sample(t, src, "error-percent", "canary").Value, 5, 0.01)
	})
	t.Run("analysis fails the canary", func(t *testing.T) {
		minRate, maxMs := 99.0, 500.0
		res := analysis.Check(ctx, src, []v1alpha1.MetricCheck{
			{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: &minRate}, Window: &metav1.Duration{Duration: testWindow}},
			{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: &maxMs}, Window: &metav1.Duration{Duration: testWindow}},
		}, time.Now())
		// 95% may print as 94.99%: percentages are cut, not rounded.
		if res.Verdict != v1alpha1.VerdictFail || !strings.Contains(res.Reason, "canary success rate 9") ||
			!strings.Contains(res.Reason, "% < 99%") || strings.Contains(res.Reason, "p99 latency") {
			t.Fatalf("Check = %s: %s; want a failed success rate", res.Verdict, res.Reason)
		}
	})
	t.Run("range", func(t *testing.T) {
		// The exporter was first scraped a moment ago: wait until the last
		// three seconds all have data.
		var r promv1.Range
		for i := 0; ; i++ {
			end := time.Now()
			r = AlignedRange(end.Add(-3*time.Second), end, time.Second)
			pts, err := src.Range(ctx, v1alpha1.MetricRequestSuccessRate, "stable", testWindow, r)
			if err == nil && len(pts) >= 3 {
				break
			}
			if i == 50 {
				t.Fatalf("Range over the last 3s: %d points, %v", len(pts), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for metric, want := range map[string]struct{ canary, stable, tol float64 }{
			v1alpha1.MetricRequestSuccessRate: {95, 100, 0.01},
			v1alpha1.MetricRequestDuration:    {235, 9.95, 0.5},
		} {
			for version, w := range map[string]float64{"canary": want.canary, "stable": want.stable} {
				pts, err := src.Range(ctx, metric, version, testWindow, r)
				if err != nil {
					t.Fatalf("Range(%s, %s): %v", metric, version, err)
				}
				if len(pts) < 3 {
					t.Fatalf("Range(%s, %s) = %d points over %v at 1s, want at least 3", metric, version, len(pts), r.End.Sub(r.Start))
				}
				for _, p := range pts {
					if p.Value == nil {
						t.Fatalf("Range(%s, %s): no data at %v", metric, version, p.Time)
					}
					near(t, metric+" "+version+" at "+p.Time.Format(time.TimeOnly), *p.Value, w, want.tol)
				}
			}
		}
		// Each scrape, once a second, adds 100 requests for either version;
		// a window shorter than the exporter's life, as rate() divides by it.
		pts, err := src.Range(ctx, MetricRequestRate, "canary", 3*time.Second, r)
		if err != nil || len(pts) == 0 || pts[len(pts)-1].Value == nil {
			t.Fatalf("Range(request rate) = %v, %v", pts, err)
		}
		near(t, "canary request rate", *pts[len(pts)-1].Value, 100, 20)
		ghost, err := New(p.API, Target{Namespace: "shop", Stable: shop.Stable, Canary: Workload{Name: "api-ghost"}}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if pts, err := ghost.Range(ctx, v1alpha1.MetricRequestSuccessRate, "canary", testWindow, r); err != nil || pts != nil {
			t.Fatalf("Range of an unknown workload = %v, %v; want no data", pts, err)
		}
	})
	t.Run("no data", func(t *testing.T) {
		for name, target := range map[string]Target{
			"idle workload":     {Namespace: "shop", Stable: shop.Stable, Canary: Workload{Name: "api-idle"}},
			"unknown workload":  {Namespace: "shop", Stable: shop.Stable, Canary: Workload{Name: "api-ghost"}},
			"other subset":      {Namespace: "shop", Stable: shop.Stable, Canary: Workload{Name: "api-v2", Subset: "v9"}},
			"another namespace": {Namespace: "empty", Stable: shop.Stable, Canary: shop.Canary},
		} {
			s, err := New(p.API, target, custom, Options{})
			if err != nil {
				t.Fatalf("%s: New: %v", name, err)
			}
			for _, metric := range []string{v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration} {
				got, err := s.Sample(ctx, metric, "canary", testWindow, time.Now())
				q, _ := s.Query(metric, "canary", testWindow)
				if err != nil || !got.NoData || !strings.Contains(got.Reason, q) {
					t.Errorf("%s: Sample(%s) = %+v, %v; want no data naming the query", name, metric, got, err)
				}
			}
		}
	})
	t.Run("infinity is no data", func(t *testing.T) {
		got, err := src.Sample(ctx, "infinite", "canary", testWindow, time.Now())
		if err != nil || !got.NoData || !strings.Contains(got.Reason, "+Inf") {
			t.Fatalf("Sample = %+v, %v; want no data", got, err)
		}
	})
	t.Run("several series", func(t *testing.T) {
		q, _ := src.Query("per-reporter", "canary", testWindow)
		_, err := src.Sample(ctx, "per-reporter", "canary", testWindow, time.Now())
		if err == nil || !strings.Contains(err.Error(), "2 series") || !strings.Contains(err.Error(), q) {
			t.Fatalf("Sample error = %v; want one naming the query and its 2 series", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		_, err := src.Sample(ctx, "broken", "canary", testWindow, time.Now())
		var perr *promv1.Error
		if !errors.As(err, &perr) || perr.Type != promv1.ErrBadData {
			t.Fatalf("Sample error = %v; want a wrapped bad_data error from Prometheus", err)
		}
	})
	t.Run("unknown metric", func(t *testing.T) {
		if _, err := src.Sample(ctx, "apdex", "canary", testWindow, time.Now()); err == nil {
			t.Fatal("Sample of a metric with no query succeeded")
		}
		if _, err := New(p.API, shop, []v1alpha1.MetricCheck{{Name: "apdex"}}, Options{}); err == nil {
			t.Fatal("New with a metric with no query succeeded")
		}
	})
	t.Run("injection", func(t *testing.T) {
		const evil = `x"} or vector(1) #`
		const tmpl = `istio_requests_total{destination_workload="{{ target }}"}`
		// Pasted in as is, the name turns the query into one that always
		// answers 1, which would pass any success-rate check.
		naive := strings.ReplaceAll(tmpl, "{{ target }}", evil)
		v, _, _, err := p.API.Query(ctx, naive, time.Now())
		if err != nil {
			t.Fatalf("naive query %s: %v", naive, err)
		}
		if got, err := sampleOf(naive, v); err != nil || got.NoData || got.Value != 1 {
			t.Fatalf("naive query %s = %+v, %v; the attack this test guards against no longer works, rewrite it", naive, got, err)
		}
		// Escaped, it is only an odd name with no series.
		ct, err := compileTemplate(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		safe, err := ct.render(values{target: evil})
		if err != nil {
			t.Fatal(err)
		}
		v, _, _, err = p.API.Query(ctx, safe, time.Now())
		if err != nil {
			t.Fatalf("escaped query %s: %v", safe, err)
		}
		if got, err := sampleOf(safe, v); err != nil || !got.NoData {
			t.Fatalf("escaped query %s = %+v, %v; want no data", safe, got, err)
		}
		// And New never lets such a name near a query.
		bad := Target{Namespace: "shop", Stable: shop.Stable, Canary: Workload{Name: evil}}
		if _, err := New(p.API, bad, custom, Options{}); err == nil {
			t.Fatal("New accepted a workload named like a PromQL injection")
		}
	})
}
