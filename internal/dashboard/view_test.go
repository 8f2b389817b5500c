package dashboard

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
)

func i32(n int32) *int32     { return &n }
func f64(v float64) *float64 { return &v }

func TestHealth(t *testing.T) {
	stalled := []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Message: "spec.traffic.istio.virtualService: not found"}}
	tests := map[string]struct {
		status  v1alpha1.ReleaseStatus
		judge   *local.JudgeView
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
			judge:  &local.JudgeView{Decision: "Fail", Reason: "error rate higher"},
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
			judge:  &local.JudgeView{Decision: "Continue"},
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
			snap := &local.Snapshot{Judge: tc.judge}
			snap.Release.Status = tc.status
			snap.Versions = []local.VersionView{{Name: "stable"}, {Name: "canary", SuccessRate: tc.success}}
			got, reason := health(snap)
			if got != tc.want || !strings.Contains(reason, tc.reason) {
				t.Fatalf("health = %s (%q), want %s (containing %q)", got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestPlanSteps(t *testing.T) {
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
			got := planSteps(rel)
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

func TestPlanStepsExpandsTheShorthand(t *testing.T) {
	rel := &v1alpha1.Release{}
	rel.Spec.Strategy = v1alpha1.Strategy{StepWeight: 25, MaxWeight: 50}
	got := planSteps(rel)
	var texts []string
	for _, s := range got {
		texts = append(texts, s.Text)
	}
	want := "setWeight: 25|analysis (1 passing check)|setWeight: 50|analysis (1 passing check)"
	if strings.Join(texts, "|") != want {
		t.Fatalf("plan %q, want %q", strings.Join(texts, "|"), want)
	}
}

func TestObjects(t *testing.T) {
	tests := map[string]struct {
		spec v1alpha1.ReleaseSpec
		want string
	}{
		"deployments behind istio": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}},
				Traffic:  v1alpha1.TrafficSpec{Istio: &v1alpha1.IstioTraffic{VirtualService: "api", DestinationRule: "api"}},
			},
			want: "stable Deployment api-v1|canary Deployment api-v2|traffic VirtualService api|traffic DestinationRule api",
		},
		"a target behind an HTTPRoute": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "web"}},
				Traffic:  v1alpha1.TrafficSpec{GatewayAPI: &v1alpha1.GatewayAPITraffic{HTTPRoute: "web", StableService: "web-primary", CanaryService: "web-canary"}},
			},
			want: "target Deployment web|stable Deployment web-primary|canary Deployment web-canary|traffic HTTPRoute web|stable Service web-primary|canary Service web-canary",
		},
		"local processes and a URL": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{
					Stable: v1alpha1.LocalVersion{Version: "v1", URL: "http://127.0.0.1:9001"},
					Canary: v1alpha1.LocalVersion{Version: "v2", Command: []string{"./app", "--v2"}},
				}},
				Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:8080"}},
			},
			want: "stable URL http://127.0.0.1:9001|canary process v2 (./app)|traffic Sluice proxy 127.0.0.1:8080",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, o := range objects(&v1alpha1.Release{Spec: tc.spec}) {
				got = append(got, o.Role+" "+o.Kind+" "+o.Name)
			}
			if strings.Join(got, "|") != tc.want {
				t.Fatalf("objects\n got %s\nwant %s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

func TestDelta(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	pts := func(secs ...int) []local.CheckPoint {
		var out []local.CheckPoint
		for _, s := range secs {
			out = append(out, local.CheckPoint{Time: t0.Add(time.Duration(s) * time.Second), Weight: int32(s)})
		}
		return out
	}
	view := func(p []local.CheckPoint) *ReleaseView {
		return &ReleaseView{Snapshot: local.Snapshot{Checks: p}}
	}
	tests := map[string]struct {
		prev, next []local.CheckPoint
		first      bool // no previous message
		wantDelta  bool
		wantPoints []int32
	}{
		"the first message is whole": {
			first: true, next: pts(1, 2, 3), wantPoints: []int32{1, 2, 3},
		},
		"later messages carry the new points": {
			prev: pts(1, 2, 3), next: pts(1, 2, 3, 4, 5), wantDelta: true, wantPoints: []int32{4, 5},
		},
		"no new point sends none": {
			prev: pts(1, 2, 3), next: pts(1, 2, 3), wantDelta: true, wantPoints: nil,
		},
		"trimmed history still joins up": {
			prev: pts(1, 2, 3), next: pts(3, 4), wantDelta: true, wantPoints: []int32{4},
		},
		"a gap sends the whole history": {
			prev: pts(1, 2, 3), next: pts(5, 6), wantPoints: []int32{5, 6},
		},
		"a history that went back in time is whole": {
			prev: pts(4, 5, 6), next: pts(1, 2), wantPoints: []int32{1, 2},
		},
		"an empty history is whole": {
			prev: pts(1), next: nil, wantPoints: nil,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var prev *ReleaseView
			if !tc.first {
				prev = view(tc.prev)
			}
			next := view(tc.next)
			got := delta(prev, next)
			if got.Delta != tc.wantDelta {
				t.Fatalf("delta = %v, want %v", got.Delta, tc.wantDelta)
			}
			var w []int32
			for _, p := range got.Checks {
				w = append(w, p.Weight)
			}
			if !slices.Equal(w, tc.wantPoints) {
				t.Fatalf("points %v, want %v", w, tc.wantPoints)
			}
			if got.Delta && (got.ChecksFrom == nil || !got.ChecksFrom.Equal(tc.next[0].Time)) {
				t.Fatalf("checksFrom %v, want %v", got.ChecksFrom, tc.next[0].Time)
			}
			if len(next.Checks) != len(tc.next) {
				t.Fatal("delta changed the view it was given")
			}
		})
	}
}
