package prometheus

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/telemetry"
)

// rangeAPI answers every range query with the same value and error, and
// records the queries and ranges.
type rangeAPI struct {
	promv1.API
	val     model.Value
	err     error
	queries []string
	ranges  []promv1.Range
}

func (a *rangeAPI) QueryRange(_ context.Context, q string, r promv1.Range, _ ...promv1.Option) (model.Value, promv1.Warnings, promv1.Infos, error) {
	a.queries = append(a.queries, q)
	a.ranges = append(a.ranges, r)
	return a.val, nil, nil, a.err
}

func TestRangeStep(t *testing.T) {
	tests := map[string]struct {
		span, min time.Duration
		points    int
		want      time.Duration
	}{
		"short release, fine step":    {span: 30 * time.Second, min: time.Second, points: 300, want: time.Second},
		"minimum wins":                {span: 30 * time.Second, min: 15 * time.Second, points: 300, want: 15 * time.Second},
		"an hour in 300 points":       {span: time.Hour, min: time.Second, points: 300, want: 15 * time.Second},
		"just over a round step":      {span: 301 * time.Second, min: time.Second, points: 300, want: 2 * time.Second},
		"a day":                       {span: 24 * time.Hour, min: time.Second, points: 300, want: 5 * time.Minute},
		"a year is whole days":        {span: 365 * 24 * time.Hour, min: time.Second, points: 300, want: 48 * time.Hour},
		"no span":                     {span: 0, min: 5 * time.Second, points: 300, want: 5 * time.Second},
		"nonsense points count as 1":  {span: 10 * time.Second, min: time.Second, points: 0, want: 10 * time.Second},
		"min between steps rounds up": {span: time.Second, min: 3 * time.Second, points: 300, want: 5 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := RangeStep(tc.span, tc.min, tc.points)
			if got != tc.want {
				t.Fatalf("RangeStep(%v, %v, %d) = %v, want %v", tc.span, tc.min, tc.points, got, tc.want)
			}
			if tc.points > 0 && got >= tc.min && tc.span/got > time.Duration(tc.points) {
				t.Fatalf("step %v gives %d points over %v, more than %d", got, tc.span/got, tc.span, tc.points)
			}
		})
	}
}

func TestAlignedRange(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 7, 300e6, time.UTC)
	tm := func(sec int, ms int) time.Time { return time.Date(2026, 5, 1, 12, 0, sec, ms*1e6, time.UTC) }
	tests := map[string]struct {
		start, end time.Time
		step       time.Duration
		want       promv1.Range
	}{
		"first instant on the grid, within": {start: start, end: tm(59, 0), step: 5 * time.Second, want: promv1.Range{Start: tm(10, 0), End: tm(59, 0), Step: 5 * time.Second}},
		"a start on the grid is kept":       {start: tm(10, 0), end: tm(20, 0), step: 5 * time.Second, want: promv1.Range{Start: tm(10, 0), End: tm(20, 0), Step: 5 * time.Second}},
		"shorter than a step: the end":      {start: start, end: tm(9, 700), step: 5 * time.Second, want: promv1.Range{Start: tm(9, 0), End: tm(9, 0), Step: 5 * time.Second}},
		"end before start: the end":         {start: start, end: tm(1, 0), step: time.Second, want: promv1.Range{Start: tm(1, 0), End: tm(1, 0), Step: time.Second}},
	}
	for name, tc := range tests {
		got := AlignedRange(tc.start, tc.end, tc.step)
		if !got.Start.Equal(tc.want.Start) || !got.End.Equal(tc.want.End) || got.Step != tc.want.Step {
			t.Errorf("%s: %+v, want %+v", name, got, tc.want)
		}
	}
}

func TestPointsOf(t *testing.T) {
	at := model.TimeFromUnix(1_700_000_000)
	series := func(vals ...float64) *model.SampleStream {
		s := &model.SampleStream{Metric: model.Metric{"job": "x"}}
		for i, v := range vals {
			s.Values = append(s.Values, model.SamplePair{Timestamp: at.Add(time.Duration(i) * time.Second), Value: model.SampleValue(v)})
		}
		return s
	}
	tests := map[string]struct {
		val     model.Value
		want    []any // float64 or nil per point
		wantErr string
	}{
		"values":                {val: model.Matrix{series(99.5, 100)}, want: []any{99.5, 100.0}},
		"no series is no data":  {val: model.Matrix{}, want: nil},
		"NaN and Inf are gaps":  {val: model.Matrix{series(nanF(), 1, infF())}, want: []any{nil, 1.0, nil}},
		"several series":        {val: model.Matrix{series(1), series(2)}, wantErr: "2 series"},
		"an instant vector":     {val: model.Vector{}, wantErr: "want a range vector"},
		"zero is a value, kept": {val: model.Matrix{series(0)}, want: []any{0.0}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := pointsOf("q", tc.val)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d points, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if !got[i].Time.Equal(at.Add(time.Duration(i) * time.Second).Time()) {
					t.Errorf("point %d at %v", i, got[i].Time)
				}
				switch w := w.(type) {
				case nil:
					if got[i].Value != nil {
						t.Errorf("point %d = %v, want no data", i, *got[i].Value)
					}
				case float64:
					if got[i].Value == nil || *got[i].Value != w {
						t.Errorf("point %d = %v, want %v", i, got[i].Value, w)
					}
				}
			}
		})
	}
}

func nanF() float64 { return math.NaN() }
func infF() float64 { return math.Inf(1) }

func TestRangeRendersTheBuiltinQueries(t *testing.T) {
	api := &rangeAPI{val: model.Matrix{}}
	s, err := New(api, shop, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := promv1.Range{Start: time.Unix(0, 0), End: time.Unix(60, 0), Step: time.Second}
	for _, m := range []string{v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration, MetricRequestRate} {
		pts, err := s.Range(context.Background(), m, "canary", time.Minute, r)
		if err != nil || pts != nil {
			t.Fatalf("Range(%s) = %v, %v; want no data", m, pts, err)
		}
		want, _ := s.Query(m, "canary", time.Minute)
		if got := api.queries[len(api.queries)-1]; got != want || api.ranges[len(api.ranges)-1] != r {
			t.Errorf("Range(%s) ran %s over %+v, want %s over %+v", m, got, api.ranges[len(api.ranges)-1], want, r)
		}
	}
	const wantRate = `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="api-v2",destination_version="v2"}[1m]))`
	if q := api.queries[2]; q != wantRate {
		t.Errorf("request rate query %s, want %s", q, wantRate)
	}
	// A chart-only metric is still no check a Release may name bare.
	if _, err := New(api, shop, []v1alpha1.MetricCheck{{Name: MetricRequestRate}}, Options{}); err == nil {
		t.Error("New accepted request-rate as a check without a query")
	}
	api.err = &promv1.Error{Type: promv1.ErrTimeout, Msg: "slow"}
	if _, err := s.Range(context.Background(), MetricRequestRate, "stable", time.Minute, r); err == nil || !strings.Contains(err.Error(), "slow") {
		t.Errorf("Range error = %v, want Prometheus' error wrapped", err)
	}
}

func TestReleaseWeightQuery(t *testing.T) {
	tests := map[string]struct {
		ns, name string
		want     string
	}{
		"plain":             {ns: "shop", name: "api", want: `max(sluice_release_canary_weight{namespace="shop",release="api"})`},
		"dotted name":       {ns: "shop", name: "api.v2", want: `max(sluice_release_canary_weight{namespace="shop",release="api.v2"})`},
		"injected name":     {ns: "shop", name: `x"} or vector(1) #`},
		"injected ns":       {ns: `a"}`, name: "api"},
		"empty names":       {},
		"uppercase release": {ns: "shop", name: "API"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ReleaseWeightQuery(tc.ns, tc.name)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ReleaseWeightQuery = %s; want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ReleaseWeightQuery = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// The weight gauge is the telemetry package's: if it is renamed there,
// the dashboard's query finds nothing and falls back without a word.
func TestReleaseWeightMetricIsTelemetrys(t *testing.T) {
	reg := promclient.NewRegistry()
	rec, err := telemetry.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"}}
	rel.Status.Phase, rel.Status.CanaryWeight = v1alpha1.PhaseProgressing, 20
	rec.Observe(rel, nil, time.Now())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != ReleaseWeightMetric {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == "shop" && labels["release"] == "api" && m.GetGauge().GetValue() == 20 {
				return
			}
		}
		t.Fatalf("%s has no series {namespace=shop, release=api} = 20: %v", ReleaseWeightMetric, f)
	}
	t.Fatalf("telemetry exports no %s", ReleaseWeightMetric)
}

func TestReleaseTarget(t *testing.T) {
	rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"}}
	if got := ReleaseTarget(rel, "api-primary", "api-canary"); got != (Target{Namespace: "shop", Stable: Workload{Name: "api-primary"}, Canary: Workload{Name: "api-canary"}}) {
		t.Errorf("without Istio subsets: %+v", got)
	}
	rel.Spec.Traffic.Istio = &v1alpha1.IstioTraffic{
		Stable: v1alpha1.IstioDestination{Host: "api", Subset: "v1"},
		Canary: v1alpha1.IstioDestination{Host: "api", Subset: "v2"},
	}
	if got := ReleaseTarget(rel, "api-v1", "api-v2"); got != shop {
		t.Errorf("with subsets of one host: %+v, want %+v", got, shop)
	}
	rel.Spec.Traffic.Istio.Canary.Host = "api-canary"
	if got := ReleaseTarget(rel, "api-v1", "api-v2"); got.Stable.Subset != "" || got.Canary.Subset != "" {
		t.Errorf("subsets of two hosts are not the pods' labels: %+v", got)
	}
}
