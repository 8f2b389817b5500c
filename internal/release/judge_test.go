package release

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

func TestDelta(t *testing.T) {
	tests := map[string]struct {
		cur, prev analysis.ArmSample
		want      analysis.ArmSample
		wantOK    bool
	}{
		"growth": {
			cur: analysis.ArmSample{Requests: 150, Errors: 3, Buckets: []uint64{100, 50}}, prev: analysis.ArmSample{Requests: 100, Errors: 1, Buckets: []uint64{70, 30}},
			want: analysis.ArmSample{Requests: 50, Errors: 2, Buckets: []uint64{30, 20}}, wantOK: true,
		},
		"first histogram reading": {
			cur: analysis.ArmSample{Requests: 10, Buckets: []uint64{10}}, prev: analysis.ArmSample{Requests: 4},
			want: analysis.ArmSample{Requests: 6}, wantOK: true,
		},
		"a pod went away: requests fell": {
			cur: analysis.ArmSample{Requests: 90}, prev: analysis.ArmSample{Requests: 100},
		},
		"a bucket fell": {
			cur: analysis.ArmSample{Requests: 120, Buckets: []uint64{60, 60}}, prev: analysis.ArmSample{Requests: 100, Buckets: []uint64{70, 30}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := delta(tc.cur, tc.prev)
			if ok != tc.wantOK || got.Requests != tc.want.Requests || got.Errors != tc.want.Errors || !slices.Equal(got.Buckets, tc.want.Buckets) {
				t.Errorf("delta = %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestKeepJudge(t *testing.T) {
	t0 := metav1.NewTime(time.Unix(1000, 0))
	t1 := metav1.NewTime(time.Unix(2000, 0))
	js := &v1alpha1.JudgeStatus{Decision: "Pass", StartedAt: &t0}
	tests := map[string]struct {
		started *metav1.Time
		js      *v1alpha1.JudgeStatus
		want    *v1alpha1.JudgeStatus
	}{
		"same release":            {started: &t0, js: js, want: js},
		"the engine started over": {started: &t1, js: js},
		"no judge":                {started: &t0},
		"no release":              {js: js},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := v1alpha1.ReleaseStatus{StartedAt: tc.started}
			keepJudge(&st, tc.js)
			if st.Analysis.Judge != tc.want {
				t.Errorf("judge = %+v, want %+v", st.Analysis.Judge, tc.want)
			}
		})
	}
}

func TestCountsRoundTrip(t *testing.T) {
	a := analysis.ArmSample{Requests: 12, Errors: 2, Buckets: []uint64{5, 0, 7}}
	got := countsOf(countsFrom(a))
	if got.Requests != a.Requests || got.Errors != a.Errors || !slices.Equal(got.Buckets, a.Buckets) {
		t.Errorf("round trip = %+v, want %+v", got, a)
	}
	if r := resultOf(&v1alpha1.JudgeSpec{EarlyPass: true}, &v1alpha1.JudgeStatus{Decision: "Fail", Reason: "worse"}); r == nil || r.Decision != engine.JudgeFail || !r.AllowEarlyPass {
		t.Errorf("resultOf = %+v", r)
	}
	if r := resultOf(&v1alpha1.JudgeSpec{}, nil); r != nil {
		t.Errorf("resultOf(nil) = %+v, want nil: no verdict before the first reading", r)
	}
}
