// Package telemetrytest drives releases through the real engine with
// scripted check results, so tests of the metrics and of the dashboards
// built on them see the series a real release produces — phases, steps,
// checks, rollbacks — without a cluster or a proxy.
package telemetrytest

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/telemetry"
)

// Sim is one release on a fake clock. The workloads are always ready and
// the router always does what the engine asked the tick before, so the
// release moves as fast as its steps and checks allow.
type Sim struct {
	Release *v1alpha1.Release
	Plan    engine.Plan
	// Now is the fake clock; Tick advances it.
	Now time.Time
	// Checks are the verdicts of the checks, in order; once used up every
	// check passes.
	Checks []v1alpha1.CheckVerdict

	weight int32
}

// NewSim starts a release of a new canary revision at now. Each step of
// steps is a weight (a setWeight then one passing check, Flagger style);
// checks run every interval and threshold failed checks roll back.
func NewSim(namespace, name string, workload v1alpha1.WorkloadSpec, weights []int32, interval time.Duration, threshold int32, now time.Time) *Sim {
	spec := v1alpha1.ReleaseSpec{
		Workload: workload,
		Strategy: v1alpha1.Strategy{StepWeights: weights},
		Analysis: v1alpha1.Analysis{
			Interval:  &metav1.Duration{Duration: interval},
			Threshold: threshold,
			Metrics:   []v1alpha1.MetricCheck{{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: ptr(99.0)}}},
		},
	}
	rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
	return &Sim{Release: rel, Plan: engine.NewPlan(spec), Now: now}
}

// Tick advances the clock by d, runs one engine step, records it with rec
// (which may be nil) and returns the step's events.
func (s *Sim) Tick(rec *telemetry.Recorder, d time.Duration) []engine.Event {
	return s.StepAt(rec, s.Now.Add(d))
}

// StepAt sets the clock to now (the real clock, for a release that
// Prometheus scrapes as it goes), runs one engine step, records it and
// the round with rec (which may be nil), and returns the step's events.
func (s *Sim) StepAt(rec *telemetry.Recorder, now time.Time) []engine.Event {
	s.Now = now
	st := s.Release.Status
	obs := engine.Observation{
		Now:            s.Now,
		StableRevision: "stable-1", CanaryRevision: "canary-2",
		StableReady: true, CanaryReady: true,
		RouterWeight: &s.weight,
	}
	if st.Phase == v1alpha1.PhasePromoting || st.Phase == v1alpha1.PhasePromoted {
		obs.StableRevision = obs.CanaryRevision // stable runs the canary's revision now
	}
	if engine.CheckDue(s.Plan, st, s.Now) {
		verdict := v1alpha1.VerdictPass
		if len(s.Checks) > 0 {
			verdict, s.Checks = s.Checks[0], s.Checks[1:]
		}
		obs.Check = &engine.CheckResult{Verdict: verdict, Reason: "request-success-rate: scripted " + string(verdict)}
	}
	res, err := engine.Step(s.Plan, st, obs)
	if err != nil {
		panic("telemetrytest: the engine refused its own status: " + err.Error())
	}
	s.Release.Status = res.Status
	s.weight = res.Desired.CanaryWeight
	rec.Observe(s.Release, res.Events, s.Now)
	rec.ObserveReconcile(s.Release.Namespace, s.Release.Name, telemetry.ReconcileSuccess)
	return res.Events
}

// Weight is the canary weight the router was last told.
func (s *Sim) Weight() int32 { return s.weight }

// Done reports whether the release has ended.
func (s *Sim) Done() bool { return s.Release.Status.Phase.Terminal() }

func ptr[T any](v T) *T { return &v }
