package engine

import (
	"reflect"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestNewPlan(t *testing.T) {
	sw := func(n int32) PlanStep { return PlanStep{Kind: StepSetWeight, Weight: n} }
	an := PlanStep{Kind: StepAnalysis, Passes: 1}
	tests := map[string]struct {
		spec v1alpha1.ReleaseSpec
		want []PlanStep
	}{
		"explicit steps": {
			spec: v1alpha1.ReleaseSpec{Strategy: v1alpha1.Strategy{Steps: []v1alpha1.Step{
				{SetWeight: w(10)},
				{Pause: &v1alpha1.PauseStep{Duration: dur(time.Minute)}},
				{Analysis: &v1alpha1.AnalysisStep{Passes: 3}},
				{Pause: &v1alpha1.PauseStep{}},
			}}},
			want: []PlanStep{sw(10), {Kind: StepPause, Duration: time.Minute}, {Kind: StepAnalysis, Passes: 3}, {Kind: StepPause}},
		},
		"stepWeight up to maxWeight": {
			spec: v1alpha1.ReleaseSpec{Strategy: v1alpha1.Strategy{StepWeight: 20, MaxWeight: 50}},
			want: []PlanStep{sw(20), an, sw(40), an, sw(50), an},
		},
		"stepWeight with the default maxWeight": {
			spec: v1alpha1.ReleaseSpec{Strategy: v1alpha1.Strategy{StepWeight: 25}},
			want: []PlanStep{sw(25), an, sw(50), an},
		},
		"stepWeights": {
			spec: v1alpha1.ReleaseSpec{Strategy: v1alpha1.Strategy{StepWeights: []int32{1, 10, 80}}},
			want: []PlanStep{sw(1), an, sw(10), an, sw(80), an},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := NewPlan(tc.spec)
			if !reflect.DeepEqual(got.Steps, tc.want) {
				t.Fatalf("steps = %+v, want %+v", got.Steps, tc.want)
			}
			if got.Interval != DefaultInterval || got.Threshold != DefaultThreshold || got.NoDataTimeout != 5*DefaultInterval {
				t.Fatalf("defaults not applied: %+v", got)
			}
		})
	}
}
