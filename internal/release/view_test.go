package release

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

func i32(n int32) *int32     { return &n }
func f64(v float64) *float64 { return &v }

func TestHealth(t *testing.T) {
	stalled := []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Message: "spec.traffic.istio.virtualService: not found"}}
	tests := map[string]struct {
		status  v1alpha1.ReleaseStatus
		judge   *JudgeView
		success *float64
		want    Health
		reason  string
	}{
		"stalled is failing whatever the phase": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, Conditions: stalled},
			want:   HealthFailing, reason: "stalled",
		},
		"rolled back": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRolledBack, Message: "aborted"},
			want:   HealthFailing, reason: "rolled back: aborted",
		},
		"rolling back": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRollingBack},
			want:   HealthFailing,
		},
		"promoted": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoted},
			want:   HealthHealthy,
		},
		"the judge failed the canary": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, Analysis: v1alpha1.AnalysisStatus{PassedChecks: 3}},
			judge:  &JudgeView{Decision: "Fail", Reason: "error rate higher"},
			want:   HealthFailing, reason: "error rate higher",
		},
		"the last check failed a metric": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, Analysis: v1alpha1.AnalysisStatus{
				PassedChecks: 4, FailedChecks: 1,
				Metrics: []v1alpha1.MetricStatus{{Name: "request-success-rate", Value: "91.5", Verdict: v1alpha1.VerdictFail}},
			}},
			want: HealthDegraded, reason: "request-success-rate failed its check (91.5)",
		},
		"an earlier check failed": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, Analysis: v1alpha1.AnalysisStatus{PassedChecks: 4, FailedChecks: 1}},
			want:   HealthDegraded, reason: "1 failed check",
		},
		"checks pass": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, Analysis: v1alpha1.AnalysisStatus{PassedChecks: 2}},
			judge:  &JudgeView{Decision: "Continue"},
			want:   HealthHealthy, reason: "2 check(s) passed",
		},
		"no check yet but the canary fails requests": {
			status:  v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing},
			success: f64(90),
			want:    HealthDegraded, reason: "canary answers 90.0%",
		},
		"no check yet": {
			status:  v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing},
			success: f64(100),
			want:    HealthUnknown,
		},
		"waiting for a revision": {
			status: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseWaiting},
			want:   HealthHealthy,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := &View{Judge: tc.judge}
			v.Release.Status = tc.status
			v.Versions = []VersionView{{Name: "stable"}, {Name: "canary", SuccessRate: tc.success}}
			got, reason := v.health()
			if got != tc.want || !strings.Contains(reason, tc.reason) {
				t.Fatalf("health = %s (%q), want %s (containing %q)", got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestPlanView(t *testing.T) {
	steps := []v1alpha1.Step{
		{SetWeight: i32(20)},
		{Pause: &v1alpha1.PauseStep{}},
		{SetWeight: i32(60)},
		{Analysis: &v1alpha1.AnalysisStep{Passes: 2}},
	}
	tests := map[string]struct {
		phase v1alpha1.Phase
		index int32
		want  []string
	}{
		"progressing marks the step under way": {
			phase: v1alpha1.PhaseProgressing, index: 2,
			want: []string{"done", "done", "current", "pending"},
		},
		"paused is still the current step": {
			phase: v1alpha1.PhasePaused, index: 1,
			want: []string{"done", "current", "pending", "pending"},
		},
		"rolled back marks the step it failed at": {
			phase: v1alpha1.PhaseRolledBack, index: 3,
			want: []string{"done", "done", "done", "failed"},
		},
		"promoted has every step done": {
			phase: v1alpha1.PhasePromoted, index: 4,
			want: []string{"done", "done", "done", "done"},
		},
		"initializing has none begun": {
			phase: v1alpha1.PhaseInitializing, index: 0,
			want: []string{"pending", "pending", "pending", "pending"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rel := &v1alpha1.Release{}
			rel.Spec.Strategy.Steps = steps
			rel.Status.Phase, rel.Status.StepIndex = tc.phase, tc.index
			got := PlanView(rel)
			if len(got) != len(tc.want) {
				t.Fatalf("%d steps, want %d", len(got), len(tc.want))
			}
			for i, s := range got {
				if s.State != tc.want[i] {
					t.Errorf("step %d (%s) is %s, want %s", i, s.Text, s.State, tc.want[i])
				}
			}
			// The weight a step holds at is the last one set.
			if got[1].Weight != 20 || got[3].Weight != 60 || got[1].Text != "pause (until promoted)" {
				t.Errorf("steps: %+v", got)
			}
		})
	}
}

func TestPlanViewExpandsTheShorthand(t *testing.T) {
	rel := &v1alpha1.Release{}
	rel.Spec.Strategy = v1alpha1.Strategy{StepWeight: 25, MaxWeight: 50}
	got := PlanView(rel)
	var texts []string
	for _, s := range got {
		texts = append(texts, s.Text)
	}
	want := "setWeight: 25|analysis (1 passing check)|setWeight: 50|analysis (1 passing check)"
	if strings.Join(texts, "|") != want {
		t.Fatalf("plan %q, want %q", strings.Join(texts, "|"), want)
	}
}
