package telemetry

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

func TestObserveJudge(t *testing.T) {
	r, _ := newRecorder(t)
	r.ObserveJudge("shop", "api", analysis.JudgeVerdict{
		Decision: analysis.JudgeContinue,
		Evidence: []analysis.Evidence{
			{Test: "error-rate", LogE: 1.5, FailAt: 200},
			{Test: "latency", LogE: -0.25, FailAt: 200, Quantile: 0.99},
			{Test: "latency", LogE: 0.5, FailAt: 200, Quantile: 0.999},
		},
	})
	ln200 := math.Log(200)
	want := `
# HELP sluice_release_judge_log_evidence Natural log of the statistical judge's e-value against 'the canary is no worse than stable', by test.
# TYPE sluice_release_judge_log_evidence gauge
sluice_release_judge_log_evidence{namespace="shop",release="api",test="error-rate"} 1.5
sluice_release_judge_log_evidence{namespace="shop",release="api",test="latency-p99"} -0.25
sluice_release_judge_log_evidence{namespace="shop",release="api",test="latency-p99.9"} 0.5
# HELP sluice_release_judge_log_evidence_threshold Log evidence at which the judge fails the canary, by test.
# TYPE sluice_release_judge_log_evidence_threshold gauge
sluice_release_judge_log_evidence_threshold{namespace="shop",release="api",test="error-rate"} LN
sluice_release_judge_log_evidence_threshold{namespace="shop",release="api",test="latency-p99"} LN
sluice_release_judge_log_evidence_threshold{namespace="shop",release="api",test="latency-p99.9"} LN
# HELP sluice_release_judge_verdict 1 for the judge's current decision (Pass, Fail, Continue), 0 for the others.
# TYPE sluice_release_judge_verdict gauge
sluice_release_judge_verdict{decision="Continue",namespace="shop",release="api"} 1
sluice_release_judge_verdict{decision="Fail",namespace="shop",release="api"} 0
sluice_release_judge_verdict{decision="Pass",namespace="shop",release="api"} 0
`
	want = strings.ReplaceAll(want, "LN", formatFloat(ln200))
	if err := testutil.CollectAndCompare(multi{r.judgeLogE, r.judgeFailAt, r.judgeVerdict}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	// A new verdict replaces the tests of the old one.
	r.ObserveJudge("shop", "api", analysis.JudgeVerdict{Decision: analysis.JudgeFail, Evidence: []analysis.Evidence{{Test: "error-rate", LogE: 6, FailAt: 200}}})
	if n := testutil.CollectAndCount(r.judgeLogE); n != 1 {
		t.Errorf("%d evidence series after a verdict with one test, want 1", n)
	}
	if got := testutil.ToFloat64(r.judgeVerdict.WithLabelValues("shop", "api", "Fail")); got != 1 {
		t.Errorf("Fail verdict gauge %v, want 1", got)
	}
}

func TestWorkloads(t *testing.T) {
	tests := map[string]struct {
		spec v1alpha1.WorkloadSpec
		want string
	}{
		"two deployments": {
			spec: v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}},
			want: `sluice_release_workload_info{namespace="shop",release="api",role="canary",workload="api-v2"} 1
sluice_release_workload_info{namespace="shop",release="api",role="stable",workload="api-v1"} 1`,
		},
		"target": {
			spec: v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "podinfo", Port: 9898}},
			want: `sluice_release_workload_info{namespace="shop",release="api",role="canary",workload="podinfo-canary"} 1
sluice_release_workload_info{namespace="shop",release="api",role="stable",workload="podinfo-primary"} 1`,
		},
		"local": {spec: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, _ := newRecorder(t)
			// Another workload first: a changed spec replaces its series.
			old := release("shop", "api", v1alpha1.ReleaseStatus{})
			old.Spec.Workload = v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "old-v1", Canary: "old-v2"}}
			r.Observe(old, nil, at(0))
			rel := release("shop", "api", v1alpha1.ReleaseStatus{})
			rel.Spec.Workload = tc.spec
			r.Observe(rel, nil, at(1))
			want := ""
			if tc.want != "" {
				want = "# HELP sluice_release_workload_info 1 for each workload of the release by role (stable, canary): the destination_workload of mesh metrics.\n" +
					"# TYPE sluice_release_workload_info gauge\n" + tc.want + "\n"
			}
			if err := testutil.CollectAndCompare(r.workload, strings.NewReader(want)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestObserveReconcile(t *testing.T) {
	r, _ := newRecorder(t)
	r.ObserveReconcile("shop", "api", ResultOf(nil, false))
	r.ObserveReconcile("shop", "api", ResultOf(nil, false))
	r.ObserveReconcile("shop", "api", ResultOf(errors.New("conflict"), false))
	r.ObserveReconcile("shop", "api", ResultOf(nil, true))
	r.ObserveReconcile("", "local", ReconcileSuccess)
	want := `
# HELP sluice_reconcile_total Rounds of observe-decide-act per release by result: success, error, stalled (waiting for a person's fix).
# TYPE sluice_reconcile_total counter
sluice_reconcile_total{namespace="",release="local",result="error"} 0
sluice_reconcile_total{namespace="",release="local",result="stalled"} 0
sluice_reconcile_total{namespace="",release="local",result="success"} 1
sluice_reconcile_total{namespace="shop",release="api",result="error"} 1
sluice_reconcile_total{namespace="shop",release="api",result="stalled"} 1
sluice_reconcile_total{namespace="shop",release="api",result="success"} 2
`
	if err := testutil.CollectAndCompare(r.reconciles, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestForget checks that a deleted release leaves no series, and that
// other releases keep theirs.
func TestForget(t *testing.T) {
	r, reg := newRecorder(t)
	for _, name := range []string{"api", "web"} {
		r.Observe(release("shop", name, progressing(v1alpha1.PhaseProgressing, 1, 10, 0, 0)), []engine.Event{note("CheckFailed")}, at(0))
		r.Observe(release("shop", name, progressing(v1alpha1.PhaseProgressing, 1, 10, 1, 0)), nil, at(10))
		r.ObserveJudge("shop", name, analysis.JudgeVerdict{Decision: analysis.JudgePass, Evidence: []analysis.Evidence{{Test: "error-rate", FailAt: 100}}})
		r.ObserveReconcile("shop", name, ReconcileSuccess)
	}
	before := seriesOf(t, reg, "web")
	if before == 0 {
		t.Fatal("no series for web")
	}
	r.Forget("shop", "api")
	if n := seriesOf(t, reg, "api"); n != 0 {
		t.Errorf("%d series left for a forgotten release", n)
	}
	if n := seriesOf(t, reg, "web"); n != before {
		t.Errorf("web has %d series after forgetting api, had %d", n, before)
	}
	// Seen again, it starts from scratch: its old passes are not recounted.
	r.Observe(release("shop", "api", progressing(v1alpha1.PhaseProgressing, 1, 10, 1, 0)), nil, at(20))
	if got := testutil.ToFloat64(r.checks.WithLabelValues("shop", "api", CheckPassed)); got != 0 {
		t.Errorf("passed %v after Forget, want 0", got)
	}
}

// seriesOf counts the series a release has in reg.
func seriesOf(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == labelRelease && l.GetValue() == name {
					n++
				}
			}
		}
	}
	return n
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Observe(release("shop", "api", v1alpha1.ReleaseStatus{}), []engine.Event{note("x")}, at(0))
	r.ObserveJudge("shop", "api", analysis.JudgeVerdict{})
	r.ObserveReconcile("shop", "api", ReconcileError)
	r.Forget("shop", "api")
}

func TestNewRegisters(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Fatal("a second Recorder on the same registry: no error")
	}
}

// TestLint runs Prometheus' own naming rules over every metric.
func TestLint(t *testing.T) {
	r, reg := newRecorder(t)
	r.Observe(release("shop", "api", progressing(v1alpha1.PhaseProgressing, 1, 10, 0, 0)), []engine.Event{note("CheckFailed")}, at(0))
	r.ObserveJudge("shop", "api", analysis.JudgeVerdict{Decision: analysis.JudgePass, Evidence: []analysis.Evidence{{Test: "error-rate", FailAt: 100}}})
	r.ObserveReconcile("shop", "api", ReconcileSuccess)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// multi collects several collectors as one, for CollectAndCompare.
type multi []prometheus.Collector

func (m multi) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m {
		c.Describe(ch)
	}
}

func (m multi) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m {
		c.Collect(ch)
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
