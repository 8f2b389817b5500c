package cli

import (
	"fmt"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/metrics/prometheus"
	"sluice.dev/sluice/internal/release"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func fp(v float64) *float64 { return &v }

// pts makes points one second apart from t0+from; nil values are gaps.
func pts(from int, vals ...*float64) []prometheus.Point {
	out := make([]prometheus.Point, len(vals))
	for i, v := range vals {
		out[i] = prometheus.Point{Time: at(from + i), Value: v}
	}
	return out
}

func TestMergeCheckPoints(t *testing.T) {
	grid := promv1.Range{Start: at(0), End: at(3), Step: time.Second}
	history := weightTimeline{{at: at(0), weight: 10}, {at: at(2), weight: 25}}
	vp := func(rps, sr, p99 *float64) release.VersionPoint {
		return release.VersionPoint{RPS: rps, SuccessRate: sr, P99Millis: p99}
	}
	tests := map[string]struct {
		r       promv1.Range
		series  chartSeries
		history weightTimeline
		want    []release.CheckPoint
	}{
		"nothing read: weight from history, figures unknown": {
			r: grid, history: history,
			want: []release.CheckPoint{{Time: at(0), Weight: 10}, {Time: at(1), Weight: 10}, {Time: at(2), Weight: 25}, {Time: at(3), Weight: 25}},
		},
		"figures on their instants, gaps stay gaps": {
			r: grid, history: history,
			series: chartSeries{
				Stable: versionSeries{RPS: pts(0, fp(90), fp(90), nil, fp(80)), SuccessRate: pts(0, fp(100), fp(100), nil, fp(100)), P99: pts(0, fp(9), fp(9), nil, fp(9))},
				Canary: versionSeries{RPS: pts(1, fp(10), fp(20), fp(20)), SuccessRate: pts(1, fp(95), nil, fp(97)), P99: pts(2, fp(235), fp(240))},
			},
			want: []release.CheckPoint{
				{Time: at(0), Weight: 10, Stable: vp(fp(90), fp(100), fp(9))},
				{Time: at(1), Weight: 10, Stable: vp(fp(90), fp(100), fp(9)), Canary: vp(fp(10), fp(95), nil)},
				{Time: at(2), Weight: 25, Canary: vp(fp(20), nil, fp(235))},
				{Time: at(3), Weight: 25, Stable: vp(fp(80), fp(100), fp(9)), Canary: vp(fp(20), fp(97), fp(240))},
			},
		},
		"the controller's gauge wins, carried over its gaps": {
			r: grid, history: history,
			series: chartSeries{Weight: pts(1, fp(20), nil, fp(49.6))},
			want:   []release.CheckPoint{{Time: at(0), Weight: 10}, {Time: at(1), Weight: 20}, {Time: at(2), Weight: 20}, {Time: at(3), Weight: 50}},
		},
		"points off the grid are not shown": {
			r:      grid,
			series: chartSeries{Canary: versionSeries{SuccessRate: []prometheus.Point{{Time: at(1).Add(500 * time.Millisecond), Value: fp(1)}}}},
			want:   []release.CheckPoint{{Time: at(0)}, {Time: at(1)}, {Time: at(2)}, {Time: at(3)}},
		},
		"zero is a value": {
			r:      promv1.Range{Start: at(0), End: at(0), Step: time.Second},
			series: chartSeries{Canary: versionSeries{SuccessRate: pts(0, fp(0))}},
			want:   []release.CheckPoint{{Time: at(0), Canary: vp(nil, fp(0), nil)}},
		},
		"no step":          {r: promv1.Range{Start: at(0), End: at(3)}},
		"end before start": {r: promv1.Range{Start: at(3), End: at(0), Step: time.Second}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := mergeCheckPoints(tc.r, tc.series, tc.history)
			if len(got) != len(tc.want) {
				t.Fatalf("%d points, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if !samePoint(got[i], tc.want[i]) {
					t.Errorf("point %d = %s, want %s", i, showPoint(got[i]), showPoint(tc.want[i]))
				}
			}
		})
	}
}

func TestMergeCheckPointsIsBounded(t *testing.T) {
	got := mergeCheckPoints(promv1.Range{Start: at(0), End: at(100000), Step: time.Second}, chartSeries{}, nil)
	if len(got) != 2*maxChartPoints {
		t.Fatalf("%d points for a range of 100001 steps, want the bound %d", len(got), 2*maxChartPoints)
	}
}

func samePoint(a, b release.CheckPoint) bool {
	return a.Time.Equal(b.Time) && a.Weight == b.Weight && sameVersion(a.Stable, b.Stable) && sameVersion(a.Canary, b.Canary)
}

func sameVersion(a, b release.VersionPoint) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(a.RPS, b.RPS) && eq(a.SuccessRate, b.SuccessRate) && eq(a.P99Millis, b.P99Millis)
}

func showPoint(p release.CheckPoint) string {
	f := func(x *float64) string {
		if x == nil {
			return "-"
		}
		return fmt.Sprint(*x)
	}
	v := func(p release.VersionPoint) string {
		return fmt.Sprintf("{%s %s %s}", f(p.RPS), f(p.SuccessRate), f(p.P99Millis))
	}
	return fmt.Sprintf("%s w%d s%s c%s", p.Time.Format(time.TimeOnly), p.Weight, v(p.Stable), v(p.Canary))
}

func TestHistoryWeights(t *testing.T) {
	dec := func(sec int, reason string, weight int32) v1alpha1.Decision {
		return v1alpha1.Decision{Time: metav1.NewTime(at(sec)), Reason: reason, CanaryWeight: weight}
	}
	tests := map[string]struct {
		status v1alpha1.ReleaseStatus
		since  time.Time
		want   weightTimeline
	}{
		"a release moving up": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 30, History: []v1alpha1.Decision{
				dec(0, "NewRevision", 10), dec(1, "StepStarted", 10), dec(2, "PausedStep", 10),
				dec(5, "PromotedStep", 30), dec(5, "StepStarted", 30), dec(6, "StepStarted", 30),
			}},
			want: weightTimeline{{at(0), 10}, {at(1), 10}, {at(2), 10}, {at(5), 30}, {at(5), 30}, {at(6), 30}, {at(6), 30}},
		},
		"earlier releases are left out": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 10, History: []v1alpha1.Decision{
				dec(-9, "StepStarted", 30), dec(-8, "RolledBack", 0), dec(0, "NewRevision", 10),
			}},
			since: at(0),
			want:  weightTimeline{{at(0), 10}, {at(0), 10}},
		},
		"a rollback": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRolledBack, History: []v1alpha1.Decision{
				dec(0, "NewRevision", 10), dec(3, "StepStarted", 30), dec(4, "CheckFailed", 30),
				dec(5, "ThresholdReached", 0), dec(6, "RolledBack", 0),
			}},
			want: weightTimeline{{at(0), 10}, {at(3), 30}, {at(4), 30}, {at(5), 0}, {at(6), 0}, {at(6), 0}},
		},
		"a promotion ends with all traffic on stable": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoted, CanaryWeight: 0, History: []v1alpha1.Decision{
				dec(0, "NewRevision", 10), dec(7, "Promoting", 60), dec(8, "Promoted", 0),
			}},
			want: weightTimeline{{at(0), 10}, {at(7), 60}, {at(8), 0}, {at(8), 0}},
		},
		"the status' weight from the step's start": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 30, StepStartedAt: &metav1.Time{Time: at(9)},
				History: []v1alpha1.Decision{dec(0, "NewRevision", 10)}},
			want: weightTimeline{{at(0), 10}, {at(9), 30}},
		},
		"no history": {status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseWaiting}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rel := &v1alpha1.Release{Status: tc.status}
			got := historyWeights(rel, tc.since)
			if len(got) != len(tc.want) {
				t.Fatalf("timeline %v, want %v", got, tc.want)
			}
			for i := range got {
				if !got[i].at.Equal(tc.want[i].at) || got[i].weight != tc.want[i].weight {
					t.Fatalf("timeline %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestWeightTimelineAt(t *testing.T) {
	w := weightTimeline{{at(0), 10}, {at(5), 30}, {at(5), 40}}
	tests := map[string]struct {
		tc   time.Time
		want int32
	}{
		"before any decision": {tc: at(-1), want: 0},
		"at the first":        {tc: at(0), want: 10},
		"between":             {tc: at(4), want: 10},
		"the last of a tie":   {tc: at(5), want: 40},
		"after":               {tc: at(100), want: 40},
	}
	for name, tc := range tests {
		if got := w.at(tc.tc); got != tc.want {
			t.Errorf("%s: at(%v) = %d, want %d", name, tc.tc, got, tc.want)
		}
	}
}

func TestChartSpan(t *testing.T) {
	now := at(100)
	mt := func(sec int) *metav1.Time { v := metav1.NewTime(at(sec)); return &v }
	tests := map[string]struct {
		rel        v1alpha1.Release
		start, end time.Time
	}{
		"running":  {rel: v1alpha1.Release{Status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, StartedAt: mt(10)}}, start: at(10), end: now},
		"finished": {rel: v1alpha1.Release{Status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoted, StartedAt: mt(10), FinishedAt: mt(50)}}, start: at(10), end: at(50)},
		"restarted after an end": {
			rel:   v1alpha1.Release{Status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, StartedAt: mt(60), FinishedAt: mt(50)}},
			start: at(60), end: now,
		},
		"no start: the first decision": {
			rel:   v1alpha1.Release{Status: v1alpha1.ReleaseStatus{History: []v1alpha1.Decision{{Time: metav1.NewTime(at(20))}}}},
			start: at(20), end: now,
		},
		"nothing: creation": {rel: v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(at(30))}}, start: at(30), end: now},
		"in the future":     {rel: v1alpha1.Release{Status: v1alpha1.ReleaseStatus{StartedAt: mt(200)}}, start: now, end: now},
		"no time at all":    {start: now, end: now},
	}
	for name, tc := range tests {
		start, end := chartSpan(&tc.rel, now)
		if !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("%s: span %v – %v, want %v – %v", name, start, end, tc.start, tc.end)
		}
	}
}
