package grafana

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/telemetry"
	"sluice.dev/sluice/internal/telemetry/telemetrytest"
	"sluice.dev/sluice/test/e2e/istiomesh"
)

// exporter serves, on one /metrics, what a Prometheus in a mesh with
// Sluice scrapes: Sluice's release metrics from a real Recorder, and
// Istio's request metrics for the releases' workloads, with Istio's
// metric and label names. Each scrape first adds one batch of requests
// split by the releases' current canary weights, so the mesh's measured
// canary share follows what Sluice asked for.
type exporter struct {
	reg     *prometheus.Registry
	rec     *telemetry.Recorder
	mesh    *istiomesh.Metrics
	handler http.Handler

	mu   sync.Mutex
	sims []*telemetrytest.Sim
	// proxies are each release's local data plane, as `sluice run` has.
	proxies []*localProxy
	// judged counts the judge's observations of each release.
	judged map[string]int
}

func newExporter(t *testing.T) *exporter {
	t.Helper()
	reg := prometheus.NewRegistry()
	rec, err := telemetry.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := &exporter{
		reg:    reg,
		rec:    rec,
		mesh:   istiomesh.New(reg),
		judged: map[string]int{},
	}
	e.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return e
}

// add starts tracking a release, with a local proxy of its own.
func (e *exporter) add(t *testing.T, s *telemetrytest.Sim) {
	t.Helper()
	lp := newLocalProxy(t, s.Release.Name)
	e.reg.MustRegister(lp.p.Collector())
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sims = append(e.sims, s)
	e.proxies = append(e.proxies, lp)
}

// load sends a few requests through each release's proxy at the weight
// the release has now.
func (e *exporter) load(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	weights := make([]int32, len(e.sims))
	for i, s := range e.sims {
		weights[i] = s.Weight()
	}
	proxies := append([]*localProxy(nil), e.proxies...)
	e.mu.Unlock()
	for i, lp := range proxies {
		lp.send(t, weights[i], 20)
	}
}

// step runs every release one engine step at now and gives the judge one
// more observation; it reports whether all have ended.
func (e *exporter) step(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	done := true
	for _, s := range e.sims {
		if s.Done() {
			continue
		}
		s.StepAt(e.rec, now)
		rel := s.Release
		e.judged[rel.Name]++
		e.rec.ObserveJudge(rel.Namespace, rel.Name, judgeVerdict(rel.Name, e.judged[rel.Name]))
		done = done && s.Done()
	}
	return done
}

// judgeVerdict is evidence that grows with each observation: slowly for
// "api", past the threshold for "web" (the release that rolls back).
func judgeVerdict(release string, n int) analysis.JudgeVerdict {
	rate := 0.1
	if release == "web" {
		rate = 1
	}
	failAt := 100.0
	logE := rate*float64(n) - 1
	v := analysis.JudgeVerdict{Decision: analysis.JudgeContinue, Evidence: []analysis.Evidence{
		{Test: "error-rate", LogE: logE, FailAt: failAt},
		{Test: "latency", LogE: logE / 2, FailAt: failAt, Quantile: 0.99},
	}}
	if logE >= math.Log(failAt) {
		v.Decision = analysis.JudgeFail
	}
	return v
}

// serveBatch records one batch of mesh requests for each release: 200
// requests split by its canary weight, stable all good and fast, canary
// with 5% 503s and a slower tail. Decoys a correct query must not count:
// the callers' own reports, and the same workload in another namespace.
func (e *exporter) serveBatch() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.sims {
		ns := s.Release.Namespace
		stable, canary := workloadsOf(s.Release.Spec.Workload)
		const total = 200
		toCanary := total * int(s.Weight()) / 100
		e.serve("destination", ns, stable, "200", total-toCanary, 8)
		if toCanary > 0 {
			bad := max(toCanary/20, 1)
			e.serve("destination", ns, canary, "200", toCanary-bad, 40)
			e.serve("destination", ns, canary, "503", bad, 180)
		}
		e.serve("source", ns, canary, "503", 50, 3000)
		e.serve("destination", "elsewhere", canary, "500", 50, 3000)
	}
}

func (e *exporter) serve(reporter, ns, workload, code string, n int, ms float64) {
	if n <= 0 {
		return
	}
	e.mesh.Record(reporter, ns, workload, "v1", code, n, ms)
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.serveBatch()
	e.handler.ServeHTTP(w, r)
}

// listen serves the exporter on 127.0.0.1 until the test ends and returns
// its host:port.
func (e *exporter) listen(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return l.Addr().String()
}

// localProxy is Sluice's proxy in front of two local versions, on real
// sockets: stable answers 200, the canary 500 to one request in twenty.
type localProxy struct {
	p      *proxy.Proxy
	stable *url.URL
	canary *url.URL
	front  string
	client *http.Client
	served atomic.Int64
}

func newLocalProxy(t *testing.T, release string) *localProxy {
	t.Helper()
	lp := &localProxy{client: &http.Client{Timeout: 5 * time.Second}}
	stable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "stable")
	}))
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if lp.served.Add(1)%20 == 0 {
			http.Error(w, "canary bug", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "canary")
	}))
	lp.p = proxy.New(proxy.Options{Release: release, Logger: slog.New(slog.DiscardHandler)})
	front := httptest.NewServer(lp.p)
	t.Cleanup(func() {
		front.Close()
		stable.Close()
		canary.Close()
		lp.client.CloseIdleConnections()
		lp.p.CloseIdleConnections()
	})
	lp.stable, lp.canary, lp.front = mustURL(t, stable.URL), mustURL(t, canary.URL), front.URL
	lp.route(t, 0)
	return lp
}

func (lp *localProxy) route(t *testing.T, weight int32) {
	t.Helper()
	if err := lp.p.SetRoute(proxy.Route{Stable: lp.stable, Canary: lp.canary, CanaryWeight: weight}); err != nil {
		t.Fatal(err)
	}
}

// send routes at weight and sends n requests through the proxy.
func (lp *localProxy) send(t *testing.T, weight int32, n int) {
	t.Helper()
	if lp.p.Route().CanaryWeight != weight {
		lp.route(t, weight)
	}
	for range n {
		resp, err := lp.client.Get(lp.front + "/")
		if err != nil {
			t.Fatalf("request through the proxy: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// workloadsOf names the Deployments the mesh reports a release's versions
// under, as the controller names them.
func workloadsOf(w v1alpha1.WorkloadSpec) (stable, canary string) {
	switch {
	case w.Deployments != nil:
		return w.Deployments.Stable, w.Deployments.Canary
	case w.Target != nil:
		return w.Target.Deployment + "-primary", w.Target.Deployment + "-canary"
	}
	return "", ""
}
