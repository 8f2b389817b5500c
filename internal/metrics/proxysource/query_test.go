package proxysource

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/proxy"
)

func TestQuery(t *testing.T) {
	end := t0.Add(120 * time.Second)
	tests := map[string]struct {
		samples    int // steady() seconds of samples; 0 means a fresh source
		q          Query
		want       Result
		tolerance  float64
		wantErr    string
		wantReason string
	}{
		"canary success rate": {
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Window: time.Minute, Now: end},
			want:    Result{Value: 80, Requests: 300, Span: time.Minute},
		},
		"stable success rate": {
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "stable", Window: time.Minute, Now: end},
			want:    Result{Value: 100, Requests: 600, Span: time.Minute},
		},
		"canary p99 in ms": {
			// Every request in (75, 100] ms: p99 interpolates to 99.75 ms.
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestDuration, Version: "canary", Window: time.Minute, Now: end},
			want:    Result{Value: 99.75, Requests: 300, Span: time.Minute}, tolerance: 1e-9,
		},
		"zero now uses the clock": {
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Window: time.Minute},
			want:    Result{Value: 80, Requests: 300, Span: time.Minute},
		},
		"shortened window says so": {
			samples:    21,
			q:          Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Window: time.Minute, Now: t0.Add(20 * time.Second)},
			want:       Result{Value: 80, Requests: 100, Span: 20 * time.Second},
			wantReason: "samples cover only 20s of the 1m0s window",
		},
		"one sample up to now": {
			samples:    2,
			q:          Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Window: time.Minute, Now: t0},
			want:       Result{NoData: true},
			wantReason: "only",
		},
		"no samples yet": {
			q:          Query{Metric: v1alpha1.MetricRequestDuration, Version: "canary", Window: time.Minute, Now: end},
			want:       Result{NoData: true},
			wantReason: "no samples of the proxy's counters yet",
		},
		"unknown metric": {
			samples: 121,
			q:       Query{Metric: "error-rate", Version: "canary", Window: time.Minute, Now: end},
			wantErr: `unknown metric "error-rate"`,
		},
		"unknown version": {
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "primary", Window: time.Minute, Now: end},
			wantErr: `unknown version "primary"`,
		},
		"no window": {
			samples: 121,
			q:       Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Now: end},
			wantErr: "must be positive",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := New(&fakeReader{}, Options{})
			if tc.samples > 0 {
				src, _ = steady(tc.samples)
			}
			got, err := src.Query(context.Background(), tc.q)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Query error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if !strings.Contains(got.Reason, tc.wantReason) || (tc.wantReason == "" && got.Reason != "") {
				t.Errorf("Reason = %q, want containing %q", got.Reason, tc.wantReason)
			}
			got.Reason = ""
			if math.Abs(got.Value-tc.want.Value) > tc.tolerance {
				t.Errorf("Value = %v, want %v", got.Value, tc.want.Value)
			}
			got.Value = tc.want.Value
			if got != tc.want {
				t.Errorf("Query = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQueryNoRequestsIsNoData(t *testing.T) {
	f := &fakeReader{}
	src := New(f, Options{Resolution: time.Second})
	f.set(proxy.Stats{Canary: counts(50, 0, time.Millisecond)})
	src.Sample(t0)
	src.Sample(t0.Add(30 * time.Second)) // nothing new
	for _, metric := range []string{v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration} {
		got, err := src.Query(context.Background(), Query{Metric: metric, Version: "canary", Window: 30 * time.Second, Now: t0.Add(30 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if !got.NoData || got.Reason != "no canary requests in the last 30s" {
			t.Errorf("%s = %+v, want NoData with a reason", metric, got)
		}
	}
}

func TestQueryCanceled(t *testing.T) {
	src, _ := steady(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Query(ctx, Query{Metric: v1alpha1.MetricRequestSuccessRate, Version: "canary", Window: time.Second}); err == nil {
		t.Error("Query on a canceled context succeeded")
	}
}
