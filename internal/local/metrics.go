package local

import (
	"context"
	"fmt"
	"time"

	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/metrics/proxysource"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/release"
)

// proxyMetrics are what the proxy counted, as the checks and the judge
// read them.
type proxyMetrics struct {
	src   *proxysource.Source
	proxy *proxy.Proxy
}

var _ release.Metrics = proxyMetrics{}

// Sample is one built-in metric of one version over a window.
func (m proxyMetrics) Sample(ctx context.Context, metric, version string, window time.Duration, now time.Time) (analysis.Sample, error) {
	res, err := m.src.Query(ctx, proxysource.Query{Metric: metric, Version: version, Window: window, Now: now})
	if err != nil {
		return analysis.Sample{}, fmt.Errorf("proxy metrics: %w", err)
	}
	return analysis.Sample{Value: res.Value, NoData: res.NoData, Reason: res.Reason, Requests: res.Requests}, nil
}

// Counts are the version's cumulative counts since the runner started;
// the release layer takes differences, and a runner that restarted (its
// counts back at zero) only rebases the judge.
func (m proxyMetrics) Counts(_ context.Context, version string, _ time.Time) (analysis.ArmSample, []float64, error) {
	st := m.proxy.Stats()
	var v proxy.VersionStats
	switch version {
	case proxy.VersionStable:
		v = st.Stable
	case proxy.VersionCanary:
		v = st.Canary
	default:
		return analysis.ArmSample{}, nil, fmt.Errorf("unknown version %q", version)
	}
	return analysis.ArmSample{Requests: v.Requests, Errors: v.Errors, Buckets: v.Buckets}, proxy.LatencyBounds, nil
}
