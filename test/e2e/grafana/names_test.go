package grafana

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/telemetry"
	"sluice.dev/sluice/internal/telemetry/telemetrytest"
)

var metricName = regexp.MustCompile(`\b(?:sluice|istio)_[a-z_]+\b`)

// istioMetrics are the Istio standard metrics the dashboard may chart.
var istioMetrics = map[string]bool{"istio_requests_total": true, "istio_request_duration_milliseconds_bucket": true}

// TestDashboardMetricNames checks, without Prometheus, that every metric
// the dashboard names is one Sluice exports (its release metrics and its
// proxy's) or an Istio standard one, and that each is charted somewhere,
// so a renamed metric fails here first, with its name.
func TestDashboardMetricNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec, err := telemetry.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	sim := telemetrytest.NewSim("shop", "api", v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 80}},
		[]int32{50}, time.Second, 1, time.Now())
	for i := 0; i < 50 && !sim.Done(); i++ {
		sim.Tick(rec, time.Second)
	}
	rec.ObserveJudge("shop", "api", judgeVerdict("api", 1))
	release := names(t, reg)
	// `sluice run` serves the proxy's metrics beside the release's.
	proxyReg := prometheus.NewRegistry()
	proxyReg.MustRegister(proxy.New(proxy.Options{Release: "api"}).Collector())
	exported := names(t, proxyReg)
	for name := range release {
		exported[name] = true
	}
	used := map[string]bool{}
	d := loadDashboard(t)
	for _, v := range d.Templating.List {
		for _, name := range metricName.FindAllString(v.Definition, -1) {
			used[name] = true
			if !exported[name] {
				t.Errorf("variable %s: %s is not a metric Sluice exports", v.Name, name)
			}
		}
	}
	for _, q := range d.queries() {
		for _, name := range metricName.FindAllString(q.Expr, -1) {
			used[name] = true
			if strings.HasPrefix(name, "istio_") && !istioMetrics[name] || strings.HasPrefix(name, "sluice_") && !exported[name] {
				t.Errorf("%s: %s is not a metric Sluice or Istio exports", q.Where, name)
			}
		}
	}
	// The other way: every release metric is charted somewhere.
	for name := range release {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !used[name] && !used[base+"_bucket"] && !used[base+"_sum"] && !used[base+"_count"] && !used[base] {
			t.Errorf("the dashboard does not chart %s", name)
		}
	}
}

// names are the series names a registry exports, with a histogram's
// _bucket, _sum and _count.
func names(t *testing.T, reg *prometheus.Registry) map[string]bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				out[mf.GetName()+suffix] = true
			}
		}
	}
	return out
}
