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
