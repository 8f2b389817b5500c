package sim

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// sluiceThreshold is Sluice itself with Flagger-like settings: the real
// engine (internal/engine) decides steps, promotion and rollback, and the
// real threshold checks (analysis.Check) evaluate the canary's metrics,
// read from this run's traffic. The engine is stepped when a check is due.
type sluiceThreshold struct {
	plan   engine.Plan
	st     v1alpha1.ReleaseStatus
	checks []v1alpha1.MetricCheck
	src    *windowSource
	w      int32
	out    outcome
	start  time.Time
}

var _ analysis.Source = (*windowSource)(nil)

func newSluiceThreshold(p plan) *sluiceThreshold {
	minSR, maxMS := minSuccess, maxP99ms
	spec := v1alpha1.ReleaseSpec{
		Strategy: v1alpha1.Strategy{StepWeight: stepWeight, MaxWeight: maxWeight},
		Analysis: v1alpha1.Analysis{
			Interval:  &metav1.Duration{Duration: interval * time.Second},
			Threshold: threshold,
			Metrics: []v1alpha1.MetricCheck{
				{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: &minSR},
					Window: &metav1.Duration{Duration: successWin * time.Second}},
				{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: &maxMS},
					Window: &metav1.Duration{Duration: durationW * time.Second}},
			},
		},
	}
	switch {
	case p.hold > 0:
		// One weight, then an analysis step that never completes.
		spec.Strategy = v1alpha1.Strategy{Steps: []v1alpha1.Step{
			{SetWeight: ptr(int32(p.hold))}, {Analysis: &v1alpha1.AnalysisStep{Passes: 1 << 30}}}}
	case p.bake:
		// The same weights, then an analysis step that never completes.
		for w := int32(stepWeight); w <= maxWeight; w += stepWeight {
			spec.Strategy.Steps = append(spec.Strategy.Steps,
				v1alpha1.Step{SetWeight: ptr(w)}, v1alpha1.Step{Analysis: &v1alpha1.AnalysisStep{Passes: 1}})
		}
		spec.Strategy.Steps[len(spec.Strategy.Steps)-1].Analysis.Passes = 1 << 30
	}
	m := &sluiceThreshold{
		plan:   engine.NewPlan(spec),
		checks: spec.Analysis.Metrics,
		src:    &windowSource{win: newRing(successWin)},
		start:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	m.step(m.start, nil)
	return m
}

func ptr[T any](v T) *T { return &v }

func (m *sluiceThreshold) weight() int    { return int(m.w) }
func (m *sluiceThreshold) state() outcome { return m.out }

func (m *sluiceThreshold) tick(t int, _, canary *arm) {
	m.src.win.push(canary)
	now := m.start.Add(time.Duration(t) * time.Second)
	if !engine.CheckDue(m.plan, m.st, now) {
		return
	}
	res := analysis.Check(context.Background(), m.src, m.checks, now)
	m.step(now, &res)
}

// step runs the engine until the weight it wants is the weight in place, as
// a shell with an instant router would.
func (m *sluiceThreshold) step(now time.Time, check *engine.CheckResult) {
	for range 20 {
		w := m.w
		res, err := engine.Step(m.plan, m.st, engine.Observation{
			Now: now, StableRevision: "v1", CanaryRevision: "v2",
			StableReady: true, CanaryReady: true, RouterWeight: &w, Check: check,
		})
		if err != nil {
			panic("sim: the engine refused its own status: " + err.Error())
		}
		check = nil
		m.st = res.Status
		switch m.st.Phase {
		case v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack:
			m.out, m.w = rolledBack, 0
			return
		case v1alpha1.PhasePromoting, v1alpha1.PhasePromoted:
			m.out, m.w = promoted, 100
			return
		}
		if res.Desired.CanaryWeight == m.w {
			return
		}
		m.w = res.Desired.CanaryWeight
	}
}

// windowSource answers the built-in metrics for the canary from the last
// seconds of its traffic, as the proxy's metric source would.
type windowSource struct{ win *ring }

func (s *windowSource) Sample(_ context.Context, metric, version string, window time.Duration, _ time.Time) (analysis.Sample, error) {
	if version != "canary" {
		return analysis.Sample{}, fmt.Errorf("the benchmark only measures the canary, not %q", version)
	}
	a := s.win.last(int(window / time.Second))
	var v float64
	var ok bool
	switch metric {
	case v1alpha1.MetricRequestSuccessRate:
		v, ok = successRate(a)
	case v1alpha1.MetricRequestDuration:
		v, ok = p99ms(a)
	default:
		return analysis.Sample{}, fmt.Errorf("unknown metric %q", metric)
	}
	if !ok {
		return analysis.Sample{NoData: true, Reason: "no requests in the window"}, nil
	}
	return analysis.Sample{Value: v, Requests: a.N}, nil
}
