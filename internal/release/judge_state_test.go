package release

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
)

// TestJudgeStateOfAnotherFormat: evidence a release cannot read (saved by
// another version of Sluice) restarts the judge from the next reading; it
// never stalls the release and never passes it.
func TestJudgeStateOfAnotherFormat(t *testing.T) {
	w := newWorld(rand.New(rand.NewPCG(1, 2)))
	spec := randomSpec(rand.New(rand.NewPCG(3, 4)))
	spec.Analysis.Judge = &v1alpha1.JudgeSpec{Alpha: 0.05, MinRequests: 200}
	loop := &Loop{
		Build: func(*v1alpha1.Release) (Parts, error) {
			return Parts{Workload: w, Router: w, Metrics: func(Versions) (Metrics, error) { return w, nil }, Hooks: w}, nil
		},
		Store: w, JudgeEveryTick: true,
	}
	start := metav1.NewTime(w.now)
	w.canarySlot, w.canaryUp, w.slotReady, w.weight = w.desired, true, true, 10
	status := v1alpha1.ReleaseStatus{
		Phase: v1alpha1.PhaseProgressing, StepIndex: 1, CanaryWeight: 10, StartedAt: &start, StepStartedAt: &start,
		StableRevision: w.stableRev, CanaryRevision: w.desired,
		Analysis: v1alpha1.AnalysisStatus{Judge: &v1alpha1.JudgeStatus{StartedAt: &start, State: `{"version": 99, "evidence": "of a future sluice"}`, Decision: "Continue"}},
	}
	rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", Generation: 1}, Spec: spec, Status: status}
	out, err := loop.Tick(context.Background(), rel, Input{Now: w.now.Add(time.Second)})
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	js := out.Status.Analysis.Judge
	if js == nil || !js.StartedAt.Equal(&start) {
		t.Fatalf("judge status: %+v", js)
	}
	var j analysis.Judge
	if err := json.Unmarshal([]byte(js.State), &j); err != nil {
		t.Fatalf("the judge did not start afresh: %v (%s)", err, js.State)
	}
	if out.Status.Phase.Terminal() || js.Decision == string(analysis.JudgePass) {
		t.Fatalf("a judge with no evidence decided: %s %s", out.Status.Phase, js.Decision)
	}
}

// TestJudgeReadsBetweenChecks: with JudgeEvery the judge reads once its
// last reading is that old, between checks an hour apart, and not at
// every tick.
func TestJudgeReadsBetweenChecks(t *testing.T) {
	w := newWorld(rand.New(rand.NewPCG(5, 6)))
	spec := randomSpec(rand.New(rand.NewPCG(7, 8)))
	spec.Analysis.Interval = &metav1.Duration{Duration: time.Hour}
	spec.Analysis.Judge = &v1alpha1.JudgeSpec{Alpha: 0.05, MinRequests: 200}
	loop := &Loop{
		Build: func(*v1alpha1.Release) (Parts, error) {
			return Parts{Workload: w, Router: w, Metrics: func(Versions) (Metrics, error) { return w, nil }, Hooks: w}, nil
		},
		Store: w, JudgeEvery: 10 * time.Second,
	}
	start := metav1.NewTime(w.now)
	w.canarySlot, w.canaryUp, w.slotReady, w.weight = w.desired, true, true, 10
	rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", Generation: 1}, Spec: spec, Status: v1alpha1.ReleaseStatus{
		Phase: v1alpha1.PhaseProgressing, StepIndex: 1, CanaryWeight: 10, StartedAt: &start, StepStartedAt: &start,
		StableRevision: w.stableRev, CanaryRevision: w.desired,
		Analysis: v1alpha1.AnalysisStatus{LastCheckAt: &start},
	}}
	for _, tc := range []struct {
		after    time.Duration
		wantRead time.Duration // the reading status says, after start
	}{
		{after: time.Second, wantRead: time.Second}, // no reading yet: read at once
		{after: 5 * time.Second, wantRead: time.Second},
		{after: 10 * time.Second, wantRead: time.Second},
		{after: 11 * time.Second, wantRead: 11 * time.Second},
		{after: 20 * time.Second, wantRead: 11 * time.Second},
		{after: 40 * time.Second, wantRead: 40 * time.Second},
	} {
		out, err := loop.Tick(context.Background(), rel, Input{Now: start.Add(tc.after)})
		if err != nil {
			t.Fatalf("tick at +%s: %v", tc.after, err)
		}
		js := out.Status.Analysis.Judge
		if js == nil || js.ReadAt == nil {
			t.Fatalf("tick at +%s: no reading in %+v", tc.after, js)
		}
		if got := js.ReadAt.Sub(start.Time); got != tc.wantRead {
			t.Errorf("tick at +%s: last reading at +%s, want +%s", tc.after, got, tc.wantRead)
		}
		if out.Status.Analysis.LastCheckAt == nil || !out.Status.Analysis.LastCheckAt.Equal(&start) {
			t.Fatalf("tick at +%s ran a check the hour-long interval did not call for", tc.after)
		}
		rel.Status = out.Status
	}
}
