package proxysource

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/proxy"
)

// TestAgainstRealProxy sends real requests through a proxy to a healthy
// stable and a canary that fails one request in ten and takes 30 ms, then
// checks both metrics for both versions.
func TestAgainstRealProxy(t *testing.T) {
	stable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer stable.Close()
	var n atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		if n.Add(1)%10 == 0 {
			http.Error(w, "injected", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer canary.Close()

	p := proxy.New(proxy.Options{Release: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	su, _ := url.Parse(stable.URL)
	cu, _ := url.Parse(canary.URL)
	if err := p.SetRoute(proxy.Route{Stable: su, Canary: cu, CanaryWeight: 50}); err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	defer p.CloseIdleConnections()

	src := New(p, Options{})
	// Use a synthetic clock for samples so the test does not sleep a window.
	src.Sample(t0)
	c := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				res, err := c.Get(front.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
		}()
	}
	wg.Wait()
	now := t0.Add(10 * time.Second)
	src.Sample(now)

	ask := func(metric, version string) Result {
		t.Helper()
		res, err := src.Query(context.Background(), Query{Metric: metric, Version: version, Window: 10 * time.Second, Now: now})
		if err != nil {
			t.Fatalf("%s %s: %v", metric, version, err)
		}
		if res.NoData || res.Requests < 90 || res.Requests > 110 {
			t.Fatalf("%s %s = %+v, want data over about 100 requests", metric, version, res)
		}
		return res
	}
	sr := ask(v1alpha1.MetricRequestSuccessRate, "canary")
	// The canary failed every tenth request it received.
	if want := 100 * float64(sr.Requests-sr.Requests/10) / float64(sr.Requests); sr.Value != want {
		t.Errorf("canary success rate %v over %d requests, want %v", sr.Value, sr.Requests, want)
	}
	if st := ask(v1alpha1.MetricRequestSuccessRate, "stable"); st.Requests+sr.Requests != 200 {
		t.Errorf("stable %d + canary %d requests, want 200", st.Requests, sr.Requests)
	}
	if got := ask(v1alpha1.MetricRequestSuccessRate, "stable").Value; got != 100 {
		t.Errorf("stable success rate %v, want 100", got)
	}
	canaryP99 := ask(v1alpha1.MetricRequestDuration, "canary").Value
	if canaryP99 < 30 || canaryP99 > 1000 {
		t.Errorf("canary p99 %.1f ms, want at least its 30 ms sleep and under 1 s", canaryP99)
	}
	if got := ask(v1alpha1.MetricRequestDuration, "stable").Value; got >= canaryP99 {
		t.Errorf("stable p99 %.1f ms, want under the canary's %.1f", got, canaryP99)
	}
}
