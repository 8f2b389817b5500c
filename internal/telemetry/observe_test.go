package telemetry

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func mt(sec int) *metav1.Time {
	t := metav1.NewTime(at(sec))
	return &t
}

func newRecorder(t *testing.T) (*Recorder, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	r, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return r, reg
}

func release(ns, name string, st v1alpha1.ReleaseStatus) *v1alpha1.Release {
	return &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.ReleaseSpec{Workload: v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: name, Port: 80}}},
		Status:     st,
	}
}

// progressing is a status of the release started at t0, at step i.
func progressing(phase v1alpha1.Phase, step, weight, passed int32, stepStart int) v1alpha1.ReleaseStatus {
	return v1alpha1.ReleaseStatus{
		Phase: phase, StepIndex: step, StepCount: 4, CanaryWeight: weight,
		StableRevision: "s1", CanaryRevision: "c1",
		StartedAt: mt(0), StepStartedAt: mt(stepStart),
		Analysis: v1alpha1.AnalysisStatus{PassedChecks: passed},
	}
}

func phaseChange(reason engine.Reason, from, to v1alpha1.Phase) engine.Event {
	return engine.Event{Reason: reason, From: from, To: to}
}

func note(reason engine.Reason) engine.Event { return engine.Event{Reason: reason} }

// TestObserveRelease follows one release from its start to its promotion
// and checks every series it leaves.
func TestObserveRelease(t *testing.T) {
	r, reg := newRecorder(t)
	promoted := progressing(v1alpha1.PhasePromoted, 4, 100, 3, 100)
	promoted.FinishedAt = mt(110)
	steps := []struct {
		sec    int
		st     v1alpha1.ReleaseStatus
		events []engine.Event
	}{
		{0, progressing(v1alpha1.PhaseProgressing, 0, 10, 0, 0), []engine.Event{phaseChange("NewRevision", v1alpha1.PhaseWaiting, v1alpha1.PhaseProgressing), note("StepStarted")}},
		{10, progressing(v1alpha1.PhaseProgressing, 1, 10, 1, 10), []engine.Event{note("StepStarted")}},
		{20, progressing(v1alpha1.PhaseProgressing, 1, 10, 2, 10), []engine.Event{note("CheckFailed")}},
		{30, progressing(v1alpha1.PhaseProgressing, 1, 10, 2, 10), []engine.Event{note("CheckHeld")}},
		{40, progressing(v1alpha1.PhasePaused, 2, 50, 2, 40), []engine.Event{phaseChange("PausedStep", v1alpha1.PhaseProgressing, v1alpha1.PhasePaused)}},
		{100, progressing(v1alpha1.PhasePromoting, 4, 100, 3, 100), []engine.Event{phaseChange("Promoting", v1alpha1.PhasePaused, v1alpha1.PhasePromoting)}},
		{110, promoted, []engine.Event{phaseChange("Promoted", v1alpha1.PhasePromoting, v1alpha1.PhasePromoted)}},
		{500, promoted, nil}, // resting: no time counted
	}
	for _, s := range steps {
		r.Observe(release("shop", "api", s.st), s.events, at(s.sec))
	}
	want := `
# HELP sluice_release_phase 1 for the phase the release is in, 0 for the others.
# TYPE sluice_release_phase gauge
sluice_release_phase{namespace="shop",phase="Initializing",release="api"} 0
sluice_release_phase{namespace="shop",phase="Paused",release="api"} 0
sluice_release_phase{namespace="shop",phase="Progressing",release="api"} 0
sluice_release_phase{namespace="shop",phase="Promoted",release="api"} 1
sluice_release_phase{namespace="shop",phase="Promoting",release="api"} 0
sluice_release_phase{namespace="shop",phase="RolledBack",release="api"} 0
sluice_release_phase{namespace="shop",phase="RollingBack",release="api"} 0
sluice_release_phase{namespace="shop",phase="Waiting",release="api"} 0
# HELP sluice_release_canary_weight Percent of traffic the release sends to the canary.
# TYPE sluice_release_canary_weight gauge
sluice_release_canary_weight{namespace="shop",release="api"} 100
# HELP sluice_release_step Index of the step being run, from 0; equal to sluice_release_steps once all are done.
# TYPE sluice_release_step gauge
sluice_release_step{namespace="shop",release="api"} 4
# HELP sluice_release_steps Number of steps in the release's plan.
# TYPE sluice_release_steps gauge
sluice_release_steps{namespace="shop",release="api"} 4
# HELP sluice_release_step_started_timestamp_seconds When the current step began, in seconds since the epoch.
# TYPE sluice_release_step_started_timestamp_seconds gauge
sluice_release_step_started_timestamp_seconds{namespace="shop",release="api"} 1.7723593e+09
# HELP sluice_release_checks_total Analysis checks by result: passed, failed (counting toward the threshold), nodata (held, not counted).
# TYPE sluice_release_checks_total counter
sluice_release_checks_total{namespace="shop",release="api",result="failed"} 1
sluice_release_checks_total{namespace="shop",release="api",result="nodata"} 1
sluice_release_checks_total{namespace="shop",release="api",result="passed"} 3
# HELP sluice_release_decisions_total Decisions of the engine by reason, as in the release's history and events.
# TYPE sluice_release_decisions_total counter
sluice_release_decisions_total{namespace="shop",reason="CheckFailed",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="CheckHeld",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="NewRevision",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="PausedStep",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="Promoted",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="Promoting",release="api"} 1
sluice_release_decisions_total{namespace="shop",reason="StepStarted",release="api"} 2
# HELP sluice_release_phase_seconds_total Seconds spent in each active phase (Initializing, Progressing, Paused, Promoting, RollingBack).
# TYPE sluice_release_phase_seconds_total counter
sluice_release_phase_seconds_total{namespace="shop",phase="Paused",release="api"} 60
sluice_release_phase_seconds_total{namespace="shop",phase="Progressing",release="api"} 40
sluice_release_phase_seconds_total{namespace="shop",phase="Promoting",release="api"} 10
# HELP sluice_release_duration_seconds Time from the start of a release to its end, by result: promoted or rolledback.
# TYPE sluice_release_duration_seconds histogram
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="30"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="60"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="120"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="300"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="600"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="900"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="1800"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="3600"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="7200"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="14400"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="28800"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="86400"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="promoted",le="+Inf"} 1
sluice_release_duration_seconds_sum{namespace="shop",release="api",result="promoted"} 110
sluice_release_duration_seconds_count{namespace="shop",release="api",result="promoted"} 1
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="30"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="60"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="120"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="300"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="600"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="900"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="1800"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="3600"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="7200"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="14400"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="28800"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="86400"} 0
sluice_release_duration_seconds_bucket{namespace="shop",release="api",result="rolledback",le="+Inf"} 0
sluice_release_duration_seconds_sum{namespace="shop",release="api",result="rolledback"} 0
sluice_release_duration_seconds_count{namespace="shop",release="api",result="rolledback"} 0
# HELP sluice_release_workload_info 1 for each workload of the release by role (stable, canary): the destination_workload of mesh metrics.
# TYPE sluice_release_workload_info gauge
sluice_release_workload_info{namespace="shop",release="api",role="canary",workload="api-canary"} 1
sluice_release_workload_info{namespace="shop",release="api",role="stable",workload="api-primary"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestCheckCounts covers how passes are counted across observations.
func TestCheckCounts(t *testing.T) {
	restarted := progressing(v1alpha1.PhaseProgressing, 0, 10, 1, 300)
	restarted.StartedAt = mt(300)
	newCanary := progressing(v1alpha1.PhaseProgressing, 0, 10, 2, 300)
	newCanary.CanaryRevision = "c2"
	tests := map[string]struct {
		statuses []v1alpha1.ReleaseStatus
		want     float64
	}{
		"the first sight only sets the start (a restarted shell does not count again)": {
			statuses: []v1alpha1.ReleaseStatus{progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0)},
			want:     0,
		},
		"growth is counted": {
			statuses: []v1alpha1.ReleaseStatus{
				progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0),
				progressing(v1alpha1.PhaseProgressing, 1, 10, 7, 0),
				progressing(v1alpha1.PhaseProgressing, 1, 10, 7, 0),
			},
			want: 2,
		},
		"a new start counts from zero": {
			statuses: []v1alpha1.ReleaseStatus{progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0), restarted},
			want:     1,
		},
		"a new canary counts from zero": {
			statuses: []v1alpha1.ReleaseStatus{progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0), newCanary},
			want:     2,
		},
		"a status decided again from an older one is not counted twice": {
			statuses: []v1alpha1.ReleaseStatus{
				progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0),
				progressing(v1alpha1.PhaseProgressing, 1, 10, 4, 0),
				progressing(v1alpha1.PhaseProgressing, 1, 10, 5, 0),
			},
			want: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, _ := newRecorder(t)
			for i, st := range tc.statuses {
				r.Observe(release("shop", "api", st), nil, at(10*i))
			}
			if got := testutil.ToFloat64(r.checks.WithLabelValues("shop", "api", CheckPassed)); got != tc.want {
				t.Errorf("passed checks %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRollbackDuration checks that a rolled-back release's duration is
// recorded once, from its start to its end.
func TestRollbackDuration(t *testing.T) {
	r, _ := newRecorder(t)
	rb := progressing(v1alpha1.PhaseRolledBack, 1, 0, 0, 0)
	rb.FinishedAt = mt(45)
	r.Observe(release("shop", "web", progressing(v1alpha1.PhaseRollingBack, 1, 0, 0, 0)), nil, at(40))
	r.Observe(release("shop", "web", rb), []engine.Event{phaseChange("RolledBack", v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack)}, at(50))
	r.Observe(release("shop", "web", rb), nil, at(60))
	var m dto.Metric
	if err := r.duration.WithLabelValues("shop", "web", ResultRolledBack).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetHistogram(); got.GetSampleCount() != 1 || got.GetSampleSum() != 45 {
		t.Errorf("duration histogram: count %d sum %v, want 1 release of 45s", got.GetSampleCount(), got.GetSampleSum())
	}
	want := `
# HELP sluice_release_phase_seconds_total Seconds spent in each active phase (Initializing, Progressing, Paused, Promoting, RollingBack).
# TYPE sluice_release_phase_seconds_total counter
sluice_release_phase_seconds_total{namespace="shop",phase="RollingBack",release="web"} 10
`
	if err := testutil.CollectAndCompare(r.phaseSeconds, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
