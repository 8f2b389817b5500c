package analysis

import (
	"context"
	"errors"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// fakeSource is a pure stand-in: the real sources are tested against the
// proxy and Prometheus in their own packages.
type fakeSource map[string]Sample

var _ Source = fakeSource(nil)

func (f fakeSource) Sample(_ context.Context, metric, version string, _ time.Duration, _ time.Time) (Sample, error) {
	s, ok := f[metric]
	if !ok {
		return Sample{}, errors.New("unknown metric " + metric)
	}
	return s, nil
}

func fp(v float64) *float64 { return &v }

func TestCheck(t *testing.T) {
	rate := v1alpha1.MetricCheck{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: fp(99)}}
	lat := v1alpha1.MetricCheck{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: fp(500)}}
	tests := map[string]struct {
		src     fakeSource
		metrics []v1alpha1.MetricCheck
		want    v1alpha1.CheckVerdict
		reason  string
	}{
		"all pass": {
			src:     fakeSource{"request-success-rate": {Value: 99.5}, "request-duration": {Value: 120}},
			metrics: []v1alpha1.MetricCheck{rate, lat},
			want:    v1alpha1.VerdictPass,
			reason:  "canary success rate 99.5% within ≥ 99%; canary p99 latency 120ms within ≤ 500ms",
		},
		"success rate below min": {
			src:     fakeSource{"request-success-rate": {Value: 94.876}},
			metrics: []v1alpha1.MetricCheck{rate},
			want:    v1alpha1.VerdictFail,
			reason:  "canary success rate 94.87% < 99%",
		},
		"latency above max": {
			src:     fakeSource{"request-duration": {Value: 712.4}},
			metrics: []v1alpha1.MetricCheck{lat},
			want:    v1alpha1.VerdictFail,
			reason:  "canary p99 latency 712ms > 500ms",
		},
		"no data is not a pass": {
			src:     fakeSource{"request-success-rate": {NoData: true, Reason: "no canary requests in the last 1m"}, "request-duration": {Value: 1}},
			metrics: []v1alpha1.MetricCheck{rate, lat},
			want:    v1alpha1.VerdictNoData,
			reason:  "canary success rate: no canary requests in the last 1m",
		},
		"a query error is no data": {
			src:     fakeSource{},
			metrics: []v1alpha1.MetricCheck{rate},
			want:    v1alpha1.VerdictNoData,
			reason:  "canary success rate: query failed: unknown metric request-success-rate",
		},
		"a failure wins over no data": {
			src:     fakeSource{"request-success-rate": {NoData: true}, "request-duration": {Value: 900}},
			metrics: []v1alpha1.MetricCheck{rate, lat},
			want:    v1alpha1.VerdictFail,
			reason:  "canary p99 latency 900ms > 500ms",
		},
		"99.996 does not read as 100": {
			src:     fakeSource{"request-success-rate": {Value: 99.996}},
			metrics: []v1alpha1.MetricCheck{{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: fp(100)}}},
			want:    v1alpha1.VerdictFail,
			reason:  "canary success rate 99.99% < 100%",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Check(context.Background(), tc.src, tc.metrics, time.Now())
			if got.Verdict != tc.want || got.Reason != tc.reason {
				t.Fatalf("got %s %q, want %s %q", got.Verdict, got.Reason, tc.want, tc.reason)
			}
			if len(got.Metrics) != len(tc.metrics) {
				t.Fatalf("got %d metric statuses", len(got.Metrics))
			}
		})
	}
}
