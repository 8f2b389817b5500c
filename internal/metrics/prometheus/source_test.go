package prometheus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
)

// scriptedAPI answers every query with the same value, warnings and error,
// and records the queries; only Query is used by Source.
type scriptedAPI struct {
	promv1.API
	val      model.Value
	warnings promv1.Warnings
	err      error
	queries  []string
	times    []time.Time
}

func (a *scriptedAPI) Query(_ context.Context, q string, ts time.Time, _ ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error) {
	a.queries = append(a.queries, q)
	a.times = append(a.times, ts)
	return a.val, a.warnings, nil, a.err
}

var shop = Target{
	Namespace: "shop",
	Stable:    Workload{Name: "api-v1", Subset: "v1"},
	Canary:    Workload{Name: "api-v2", Subset: "v2"},
}

func TestNewRefusesBadConfig(t *testing.T) {
	api := &scriptedAPI{}
	tests := map[string]struct {
		target  Target
		metrics []v1alpha1.MetricCheck
		want    string
		field   string // of the *kubeerr.ConfigError, when the Release's analysis is at fault
	}{
		"injection in the canary's name": {
			target: Target{Namespace: "shop", Stable: Workload{Name: "api"}, Canary: Workload{Name: `x"} or vector(1) #`}},
			want:   `canary workload "x\"} or vector(1) #"`,
		},
		"injection in the namespace": {
			target: Target{Namespace: `shop"} or vector(1) #`, Stable: Workload{Name: "a"}, Canary: Workload{Name: "b"}},
			want:   "namespace",
		},
		"injection in a subset": {
			target: Target{Namespace: "shop", Stable: Workload{Name: "a", Subset: `v1"}`}, Canary: Workload{Name: "b"}},
			want:   "stable subset",
		},
		"newline in a name": {
			target: Target{Namespace: "shop", Stable: Workload{Name: "a\nb"}, Canary: Workload{Name: "b"}},
			want:   "stable workload",
		},
		"no stable": {
			target: Target{Namespace: "shop", Canary: Workload{Name: "b"}},
			want:   "stable workload",
		},
		"unknown metric without a query": {
			target:  shop,
			metrics: []v1alpha1.MetricCheck{{Name: v1alpha1.MetricRequestDuration}, {Name: "error-budget"}},
			want:    `spec.analysis.metrics[1].name: "error-budget" is not a built-in metric`,
			field:   "spec.analysis.metrics[1].name",
		},
		"bad template": {
			target:  shop,
			metrics: []v1alpha1.MetricCheck{{Name: "errors", Query: `sum(x{w={{ target }}})`}},
			want:    "spec.analysis.metrics[0].query: {{ target }} must be inside a quoted string",
			field:   "spec.analysis.metrics[0].query",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := New(api, tc.target, tc.metrics, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want an error containing %q", s, err, tc.want)
			}
			if ce, ok := kubeerr.AsConfig(err); ok != (tc.field != "") || (ok && ce.Field != tc.field) {
				t.Fatalf("New error %v: config error %+v, want field %q", err, ce, tc.field)
			}
		})
	}
	if _, err := New(nil, shop, nil, Options{}); err == nil {
		t.Fatal("New without an API client succeeded")
	}
}

func TestQueryRendering(t *testing.T) {
	noSubsets := Target{Namespace: "shop", Stable: Workload{Name: "api-primary"}, Canary: Workload{Name: "api"}}
	custom := []v1alpha1.MetricCheck{
		{Name: "errors", Query: `sum(rate(http_errors{ns="{{ namespace }}",app="{{ target }}",v="{{ version }}"}[{{ interval }}]))`},
	}
	override := []v1alpha1.MetricCheck{{Name: v1alpha1.MetricRequestDuration, Query: `max(latency_ms{app="{{ target }}"})`}}
	const canarySel = `reporter="destination",destination_workload_namespace="shop",destination_workload="api-v2",destination_version="v2"`
	tests := map[string]struct {
		target  Target
		metrics []v1alpha1.MetricCheck // default custom
		metric  string
		version string
		window  time.Duration
		want    string
	}{
		"success rate with subsets": {
			target: shop, metric: v1alpha1.MetricRequestSuccessRate, version: "canary", window: time.Minute,
			want: `100 * sum(rate(istio_requests_total{` + canarySel + `,response_code!~"5.*"}[1m]))` +
				` / sum(rate(istio_requests_total{` + canarySel + `}[1m]))`,
		},
		"duration for stable without subsets": {
			target: noSubsets, metric: v1alpha1.MetricRequestDuration, version: "stable", window: 30 * time.Second,
			want: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",` +
				`destination_workload_namespace="shop",destination_workload="api-primary"}[30s])) by (le))`,
		},
		"compound window": {
			target: noSubsets, metric: v1alpha1.MetricRequestSuccessRate, version: "canary", window: 90*time.Second + 250*time.Millisecond,
			want: `100 * sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="api",response_code!~"5.*"}[1m30s250ms]))` +
				` / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="api"}[1m30s250ms]))`,
		},
		"custom with subset as version": {
			target: shop, metric: "errors", version: "stable", window: 2 * time.Minute,
			want: `sum(rate(http_errors{ns="shop",app="api-v1",v="v1"}[2m]))`,
		},
		"custom without subset: version is the workload": {
			target: noSubsets, metric: "errors", version: "canary", window: time.Minute,
			want: `sum(rate(http_errors{ns="shop",app="api",v="api"}[1m]))`,
		},
		"a query overrides a built-in": {
			target: shop, metrics: override, metric: v1alpha1.MetricRequestDuration, version: "canary", window: time.Minute,
			want: `max(latency_ms{app="api-v2"})`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			metrics := tc.metrics
			if metrics == nil {
				metrics = custom
			}
			s, err := New(&scriptedAPI{}, tc.target, metrics, Options{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			got, err := s.Query(tc.metric, tc.version, tc.window)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if got != tc.want {
				t.Fatalf("Query =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	s, err := New(&scriptedAPI{}, shop, nil, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := map[string]struct {
		metric, version string
		window          time.Duration
		want            string
	}{
		"unknown metric":  {metric: "error-budget", version: "canary", window: time.Minute, want: `unknown metric "error-budget"`},
		"unknown version": {metric: v1alpha1.MetricRequestDuration, version: "primary", window: time.Minute, want: `unknown version "primary"`},
		"zero window":     {metric: v1alpha1.MetricRequestDuration, version: "canary", want: "window 0s"},
		"tiny window":     {metric: v1alpha1.MetricRequestDuration, version: "canary", window: time.Microsecond, want: "at least 1ms"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q, err := s.Query(tc.metric, tc.version, tc.window)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Query = %q, %v; want an error containing %q", q, err, tc.want)
			}
			if _, err := s.Sample(context.Background(), tc.metric, tc.version, tc.window, time.Now()); err == nil {
				t.Fatal("Sample succeeded")
			}
		})
	}
}

func TestSampleOf(t *testing.T) {
	one := func(v float64, labels model.LabelSet) *model.Sample {
		return &model.Sample{Metric: model.Metric(labels), Value: model.SampleValue(v)}
	}
	tests := map[string]struct {
		val     model.Value
		want    float64
		noData  string // part of the reason, when no data
		wantErr string
	}{
		"one series":   {val: model.Vector{one(99.5, nil)}, want: 99.5},
		"scalar":       {val: &model.Scalar{Value: 3}, want: 3},
		"zero":         {val: model.Vector{one(0, nil)}, want: 0},
		"empty":        {val: model.Vector{}, noData: "no series for Q"},
		"NaN":          {val: model.Vector{one(math.NaN(), nil)}, noData: "NaN (no requests in the window?) for Q"},
		"+Inf":         {val: model.Vector{one(math.Inf(1), nil)}, noData: "+Inf for Q"},
		"-Inf":         {val: &model.Scalar{Value: model.SampleValue(math.Inf(-1))}, noData: "-Inf for Q"},
		"two series":   {val: model.Vector{one(1, model.LabelSet{"a": "1"}), one(2, model.LabelSet{"a": "2"})}, wantErr: `prometheus query Q: 2 series ({a="1"}, {a="2"}`},
		"range vector": {val: model.Matrix{}, wantErr: "answered a matrix"},
		"string":       {val: &model.String{Value: "x"}, wantErr: "answered a string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := sampleOf("Q", tc.val)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("sampleOf = %+v, %v; want an error containing %q", got, err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("sampleOf: %v", err)
			case tc.noData != "":
				if !got.NoData || !strings.Contains(got.Reason, tc.noData) {
					t.Fatalf("sampleOf = %+v, want no data with a reason containing %q", got, tc.noData)
				}
			case got.NoData || got.Value != tc.want:
				t.Fatalf("sampleOf = %+v, want value %v", got, tc.want)
			}
		})
	}
}

func TestSampleLogsWarningsAndWrapsErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	api := &scriptedAPI{val: model.Vector{{Value: 42}}, warnings: promv1.Warnings{"PromQL info: metric might not be a counter"}}
	s, err := New(api, shop, nil, Options{Logger: logger})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	got, err := s.Sample(context.Background(), v1alpha1.MetricRequestDuration, "canary", time.Minute, at)
	if err != nil || got.NoData || got.Value != 42 {
		t.Fatalf("Sample = %+v, %v; want 42", got, err)
	}
	if !api.times[0].Equal(at) {
		t.Errorf("queried at %v, want %v", api.times[0], at)
	}
	if !strings.Contains(logs.String(), "might not be a counter") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warnings not logged; log:\n%s", logs.String())
	}

	cause := &promv1.Error{Type: promv1.ErrBadData, Msg: "parse error"}
	api.err = cause
	_, err = s.Sample(context.Background(), v1alpha1.MetricRequestDuration, "canary", time.Minute, at)
	var perr *promv1.Error
	if !errors.As(err, &perr) || !strings.Contains(err.Error(), api.queries[1]) {
		t.Fatalf("Sample error = %v; want it to wrap the Prometheus error and name the query", err)
	}
}

func TestNewClient(t *testing.T) {
	for _, addr := range []string{"", "prometheus:9090", "ftp://x", "http://", "http://%zz"} {
		if _, err := NewClient(addr, nil); err == nil {
			t.Errorf("NewClient(%q) succeeded", addr)
		}
	}
	if _, err := NewClient("http://prometheus.istio-system:9090/prom", nil); err != nil {
		t.Errorf("NewClient: %v", err)
	}
}
