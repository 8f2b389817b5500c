package engine

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func w(n int32) *int32 { return &n }

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// testPlan is setWeight 10, analysis, pause 1m, setWeight 50, pause (indefinite).
func testPlan() Plan {
	return Plan{
		Steps: []PlanStep{
			{Kind: StepSetWeight, Weight: 10},
			{Kind: StepAnalysis, Passes: 2},
			{Kind: StepPause, Duration: time.Minute},
			{Kind: StepSetWeight, Weight: 50},
			{Kind: StepPause},
		},
		Interval: 10 * time.Second, Threshold: 3, NoDataTimeout: 30 * time.Second,
		HasChecks: true,
	}
}

// withHash is a plan with its steps hash, as NewPlan makes it.
func withHash(p Plan) Plan {
	p.StepsHash = HashSteps(p.Steps)
	return p
}

// step runs Step and fails the test on an error.
func step(t testing.TB, plan Plan, st v1alpha1.ReleaseStatus, o Observation) Result {
	t.Helper()
	res, err := Step(plan, st, o)
	if err != nil {
		t.Fatalf("Step: %v", err)
	}
	return res
}

// passed is a status at step i that has passed checks already.
func passed(i, weight int32) v1alpha1.ReleaseStatus {
	s := progressing(i, weight)
	s.Analysis.PassedChecks = 2
	return s
}

// obs is a healthy observation of two ready versions at t0+sec.
func obs(sec int, weight *int32) Observation {
	return Observation{
		Now:            t0.Add(time.Duration(sec) * time.Second),
		StableRevision: "s1", CanaryRevision: "c1",
		StableReady: true, CanaryReady: true, RouterWeight: weight,
	}
}

// progressing is a status at step i of a release started at t0.
func progressing(i int32, weight int32) v1alpha1.ReleaseStatus {
	start := metav1.NewTime(t0)
	return v1alpha1.ReleaseStatus{
		Phase: v1alpha1.PhaseProgressing, StepIndex: i, CanaryWeight: weight,
		StableRevision: "s1", CanaryRevision: "c1",
		StepStartedAt: &start, StartedAt: &start,
	}
}

func pass() *CheckResult { return &CheckResult{Verdict: v1alpha1.VerdictPass, Reason: "ok"} }
func fail() *CheckResult {
	return &CheckResult{Verdict: v1alpha1.VerdictFail, Reason: "canary success rate 94.8% < 99%"}
}
func noData() *CheckResult {
	return &CheckResult{Verdict: v1alpha1.VerdictNoData, Reason: "no requests in the window"}
}
