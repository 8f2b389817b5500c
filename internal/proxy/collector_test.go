package proxy

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestMetricsExposition(t *testing.T) {
	st := backend(t, "stable", nil)
	ca := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	p := New(Options{Release: "checkout", Logger: quietLogger()})
	if err := p.SetRoute(Route{Stable: mustURL(t, st.URL), Canary: mustURL(t, ca.URL), CanaryWeight: 40}); err != nil {
		t.Fatal(err)
	}
	fe := front(t, p)
	c := client()
	for range 50 {
		get(t, c, newReq(t, fe.URL))
	}
	for range 3 {
		roundTripRaw(t, fe.Addr, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n")
	}
	stats := p.Stats()

	rec := httptest.NewRecorder()
	p.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics status %d", rec.Code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}

	counter := func(version, class string) float64 {
		t.Helper()
		m := find(t, fams, "sluice_proxy_requests_total", map[string]string{"release": "checkout", "version": version, "code_class": class})
		return m.GetCounter().GetValue()
	}
	tests := map[string]struct {
		got, want float64
	}{
		"stable 2xx":   {got: counter("stable", "2xx"), want: float64(stats.Stable.Requests)},
		"stable 5xx":   {got: counter("stable", "5xx"), want: 0},
		"canary 5xx":   {got: counter("canary", "5xx"), want: float64(stats.Canary.Errors)},
		"canary 2xx":   {got: counter("canary", "2xx"), want: 0},
		"total":        {got: counter("stable", "2xx") + counter("canary", "5xx"), want: 50},
		"canary count": {got: float64(find(t, fams, "sluice_proxy_request_duration_seconds", map[string]string{"version": "canary"}).GetHistogram().GetSampleCount()), want: float64(stats.Canary.Requests)},
		"weight":       {got: find(t, fams, "sluice_proxy_canary_weight", map[string]string{"release": "checkout"}).GetGauge().GetValue(), want: 40},
		"in flight":    {got: find(t, fams, "sluice_proxy_requests_in_flight", map[string]string{"version": "stable"}).GetGauge().GetValue(), want: 0},
		"refused 405":  {got: find(t, fams, "sluice_proxy_client_errors_total", map[string]string{"code": "405"}).GetCounter().GetValue(), want: 3},
		"refused 400":  {got: find(t, fams, "sluice_proxy_client_errors_total", map[string]string{"code": "400"}).GetCounter().GetValue(), want: 0},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", name, tc.got, tc.want)
		}
	}
	if stats.Canary.Requests == 0 {
		t.Fatal("no canary traffic; the test proves nothing")
	}

	h := find(t, fams, "sluice_proxy_request_duration_seconds", map[string]string{"version": "stable"}).GetHistogram()
	// The text format spells out the +Inf bucket after the fixed bounds.
	if len(h.GetBucket()) != len(LatencyBounds)+1 {
		t.Fatalf("histogram has %d buckets, want %d", len(h.GetBucket()), len(LatencyBounds)+1)
	}
	for i, b := range h.GetBucket()[:len(LatencyBounds)] {
		if b.GetUpperBound() != LatencyBounds[i] {
			t.Errorf("bucket %d bound %v, want %v", i, b.GetUpperBound(), LatencyBounds[i])
		}
	}
	if last := h.GetBucket()[len(LatencyBounds)]; !math.IsInf(last.GetUpperBound(), 1) || last.GetCumulativeCount() != h.GetSampleCount() {
		t.Errorf("last bucket le=%v count %d, want +Inf and sample count %d", last.GetUpperBound(), last.GetCumulativeCount(), h.GetSampleCount())
	}
}

// find returns the one metric of the family whose labels include want.
func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no metric family %s", name)
	}
	var found []*dto.Metric
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(found))
	}
	return found[0]
}
