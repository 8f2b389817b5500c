package v1alpha1

import (
	"fmt"
	"math"
	"testing"
	"time"
)

const placeholderHelp = "use {{ namespace }}, {{ target }}, {{ version }} or {{ window }}"

func TestValidateAnalysis(t *testing.T) {
	manyMetrics := func(r *Release) {
		r.Spec.Analysis.Metrics = nil
		for i := range 51 {
			r.Spec.Analysis.Metrics = append(r.Spec.Analysis.Metrics, MetricCheck{
				Name: fmt.Sprintf("m-%d", i), Query: "up", ThresholdRange: ThresholdRange{Min: ptr(1.0)},
			})
		}
	}
	runValidate(t, map[string]validateCase{
		"analysis durations and threshold": {
			tc: func(r *Release) {
				r.Spec.Analysis.Interval = dur(0)
				r.Spec.Analysis.NoDataTimeout = dur(-time.Second)
				r.Spec.Analysis.Threshold = -2
			},
			want: []string{
				"spec.analysis.interval: 0s is not a positive duration",
				"spec.analysis.threshold: -2 is below 1",
				"spec.analysis.noDataTimeout: -1s is not a positive duration",
			},
		},
		"judge settings": {
			tc: func(r *Release) {
				r.Spec.Analysis.Judge = &JudgeSpec{Alpha: 0.7, MinRequests: -1, LatencyMargin: ptr(1.5), LatencyMarginAbsolute: dur(-time.Millisecond)}
			},
			want: []string{
				"spec.analysis.judge.alpha: 0.7 is outside (0, 0.5]; 0 means the default, 0.01",
				"spec.analysis.judge.minRequests: -1 is negative",
				"spec.analysis.judge.latencyMargin: 1.5 is outside 0..1: a fraction of stable's latency (0.2 is 20%); 0 turns the margin off",
				"spec.analysis.judge.latencyMarginAbsolute: -1ms is outside 0s..1m0s; 0s turns the margin off",
			},
		},
		"judge margin NaN": {
			tc:   func(r *Release) { r.Spec.Analysis.Judge = &JudgeSpec{LatencyMargin: ptr(math.NaN())} },
			want: []string{"spec.analysis.judge.latencyMargin: NaN is outside 0..1: a fraction of stable's latency (0.2 is 20%); 0 turns the margin off"},
		},
		"judge margins off": {
			tc: func(r *Release) {
				r.Spec.Analysis.Judge = &JudgeSpec{LatencyMargin: ptr(0.0), LatencyMarginAbsolute: dur(0)}
			},
			want: nil,
		},
		"unknown metric on a local release": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].Name = "error-rate" },
			want: []string{`spec.analysis.metrics[1].name: "error-rate" is not a known metric; known metrics: request-duration, request-success-rate`},
		},
		"metric name missing": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].Name = "" },
			want: []string{"spec.analysis.metrics[1].name: must be set"},
		},
		"duplicate metric": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics = append(r.Spec.Analysis.Metrics, r.Spec.Analysis.Metrics[0])
			},
			want: []string{`spec.analysis.metrics[2].name: "request-success-rate" is already checked by spec.analysis.metrics[0]`},
		},
		"empty threshold range": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{} },
			want: []string{"spec.analysis.metrics[0].thresholdRange: needs min, max or both"},
		},
		"min above max": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{Min: ptr(99.5), Max: ptr(90.0)}
			},
			want: []string{"spec.analysis.metrics[0].thresholdRange: min 99.5 is above max 90"},
		},
		"success rate outside 0..100": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{Min: ptr(-1.0), Max: ptr(101.0)}
			},
			want: []string{
				"spec.analysis.metrics[0].thresholdRange.min: -1 is below 0 percent",
				"spec.analysis.metrics[0].thresholdRange.max: 101 is above 100 percent",
			},
		},
		"negative duration bound": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].ThresholdRange.Max = ptr(-5.0) },
			want: []string{"spec.analysis.metrics[1].thresholdRange.max: -5 is below 0 milliseconds"},
		},
		"large duration bound is fine": {
			tc: func(r *Release) { r.Spec.Analysis.Metrics[1].ThresholdRange.Max = ptr(1e9) },
		},
		"window zero": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[0].Window = dur(0) },
			want: []string{"spec.analysis.metrics[0].window: 0s is not a positive duration"},
		},
		"unknown metric on Kubernetes": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[2].Query = "" },
			want: []string{`spec.analysis.metrics[2].name: "error-rate" is not a known metric; known metrics: request-duration, request-success-rate; or give a query`},
		},
		"a query overrides a built-in, without unit bounds": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[0].Query = `sum(rate(http_ok{job="{{ target }}"}[{{ window }}]))`
				r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{Min: ptr(-1.0), Max: ptr(1e6)}
			},
		},
		"custom metric without unit bounds": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].ThresholdRange = ThresholdRange{Min: ptr(-1e9), Max: ptr(math.Inf(1))}
			},
		},
		"custom metric range still checked": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].ThresholdRange = ThresholdRange{Min: ptr(5.0), Max: ptr(math.NaN())}
			},
			want: []string{"spec.analysis.metrics[2].thresholdRange.max: NaN is not a number"},
		},
		"custom metric min above max": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].ThresholdRange = ThresholdRange{Min: ptr(5.0), Max: ptr(-5.0)}
			},
			want: []string{"spec.analysis.metrics[2].thresholdRange: min 5 is above max -5"},
		},
		"blank query": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[2].Query = " \n\t" },
			want: []string{"spec.analysis.metrics[2].query: must not be blank: give a PromQL expression, or leave query out to use a known metric"},
		},
		"placeholders without spaces": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].Query = `rate(x{ns="{{namespace}}",w="{{target}}",v="{{  version  }}"}[{{window}}])`
			},
		},
		"query without placeholders": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[2].Query = `sum(up{job="api"})` },
		},
		"unknown placeholders, each once": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].Query = `rate(x{svc="{{ service }}", ns="{{ .Namespace }}", s2="{{service}}", t="{{ target }}", e="{{}}"}[1m])`
			},
			want: []string{
				"spec.analysis.metrics[2].query: {{ service }} is not a known placeholder; " + placeholderHelp,
				"spec.analysis.metrics[2].query: {{ .Namespace }} is not a known placeholder; " + placeholderHelp,
				"spec.analysis.metrics[2].query: {{ }} is not a known placeholder; " + placeholderHelp,
			},
		},
		"placeholder left open": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[2].Query = `rate(x{t="{{ target }}"}[{{ window ])` },
			want: []string{`spec.analysis.metrics[2].query: "{{ window ])" opens a placeholder that is not closed by "}}"`},
		},
		"long placeholder left open": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[2].Query = "sum(x) {{ target }} {{ wïndow + more text that goes on"
			},
			want: []string{`spec.analysis.metrics[2].query: "{{ wïndow + more…" opens a placeholder that is not closed by "}}"`},
		},
		"query on a local release": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[1].Query = "histogram_quantile(0.99, x{v=\"{{ release }}\"})"
			},
			want: []string{
				"spec.analysis.metrics[1].query: only Kubernetes releases read Prometheus; with spec.workload.local use a known metric: request-duration, request-success-rate",
				"spec.analysis.metrics[1].query: {{ release }} is not a known placeholder; " + placeholderHelp,
			},
		},
		"prometheus on a local release": {
			tc: func(r *Release) {
				r.Spec.Analysis.Prometheus = &PrometheusSource{Address: "http://127.0.0.1:9090"}
			},
			want: []string{"spec.analysis.prometheus: only Kubernetes releases read Prometheus; with spec.workload.local the proxy measures requests itself"},
		},
		"prometheus address not a URL": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Prometheus.Address = "prometheus:9090"
			},
			want: []string{`spec.analysis.prometheus.address: "prometheus:9090" is not an absolute http:// or https:// URL`},
		},
		"prometheus address relative": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Prometheus.Address = "/api/v1" },
			want: []string{`spec.analysis.prometheus.address: "/api/v1" is not an absolute http:// or https:// URL`},
		},
		"prometheus address with a path": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Prometheus.Address = "https://mon.example.com/prometheus" },
		},
		"prometheus from the controller's flag": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Prometheus = &PrometheusSource{} },
		},
		"no prometheus section on Kubernetes": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Analysis.Prometheus = nil },
		},
		"duplicate custom metric": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics = append(r.Spec.Analysis.Metrics, r.Spec.Analysis.Metrics[2])
			},
			want: []string{`spec.analysis.metrics[3].name: "error-rate" is already checked by spec.analysis.metrics[2]`},
		},
		"too many metrics": {
			base: validIstioRelease,
			tc:   manyMetrics,
			want: []string{"spec.analysis.metrics: 51 metrics; at most 50 are allowed"},
		},
	})
}

func TestKnownMetricsIsExtensible(t *testing.T) {
	r := validRelease()
	r.Spec.Analysis.Metrics[1] = MetricCheck{Name: "queue-depth", ThresholdRange: ThresholdRange{Max: ptr(20.0)}}
	if errs := r.Validate(); len(errs) != 1 {
		t.Fatalf("before adding the metric: %q, want one error", formatAll(errs))
	}
	KnownMetrics["queue-depth"] = MetricInfo{Unit: "items", Min: 0, Max: 1000}
	t.Cleanup(func() { delete(KnownMetrics, "queue-depth") })
	if errs := r.Validate(); len(errs) != 0 {
		t.Errorf("after adding the metric: %q, want none", formatAll(errs))
	}
}
