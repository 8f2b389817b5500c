package analysis

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestJudgeConfigFor(t *testing.T) {
	bounds := []float64{0.01, 0.1, 1}
	f := func(v float64) *float64 { return &v }
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	tests := map[string]struct {
		spec *v1alpha1.JudgeSpec
		want JudgeConfig
	}{
		"no spec":    {spec: nil, want: JudgeConfig{LatencyBounds: bounds}},
		"empty spec": {spec: &v1alpha1.JudgeSpec{}, want: JudgeConfig{LatencyBounds: bounds}},
		"every field": {
			spec: &v1alpha1.JudgeSpec{Alpha: 0.05, MinRequests: 200, LatencyMargin: f(0.1), LatencyMarginAbsolute: d(2 * time.Millisecond)},
			want: JudgeConfig{LatencyBounds: bounds, Alpha: 0.05, MinRequests: 200, LatencyRelativeMargin: 0.1, LatencyAbsoluteMargin: 0.002},
		},
		"margins off": {
			spec: &v1alpha1.JudgeSpec{LatencyMargin: f(0), LatencyMarginAbsolute: d(0)},
			want: JudgeConfig{LatencyBounds: bounds, LatencyRelativeMargin: -1, LatencyAbsoluteMargin: -1},
		},
		"defaulted spec": {
			spec: func() *v1alpha1.JudgeSpec {
				r := &v1alpha1.Release{Spec: v1alpha1.ReleaseSpec{Analysis: v1alpha1.Analysis{Judge: &v1alpha1.JudgeSpec{}}}}
				r.Default()
				return r.Spec.Analysis.Judge
			}(),
			want: JudgeConfig{LatencyBounds: bounds, LatencyRelativeMargin: DefaultJudgeLatencyRelativeMargin, LatencyAbsoluteMargin: DefaultJudgeLatencyAbsoluteMargin},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := JudgeConfigFor(tc.spec, bounds)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("JudgeConfigFor = %+v, want %+v", got, tc.want)
			}
			if _, err := NewJudge(got); err != nil {
				t.Errorf("NewJudge: %v", err)
			}
		})
	}
	// The spec's defaults and the judge's are the same numbers.
	if DefaultJudgeLatencyRelativeMargin != 0.2 || DefaultJudgeLatencyAbsoluteMargin != 0.005 {
		t.Errorf("default margins %v and %v s, want 0.2 and 0.005 s", DefaultJudgeLatencyRelativeMargin, DefaultJudgeLatencyAbsoluteMargin)
	}
}
