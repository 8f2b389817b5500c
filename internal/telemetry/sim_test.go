package telemetry_test

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/telemetry"
	"sluice.dev/sluice/internal/telemetry/telemetrytest"
)

// TestRealEngine drives releases through the engine and checks that the
// counters agree with the statuses the engine wrote: what the dashboard
// shows is what `sluice get` shows.
func TestRealEngine(t *testing.T) {
	v := func(s ...v1alpha1.CheckVerdict) []v1alpha1.CheckVerdict { return s }
	P, F, N := v1alpha1.VerdictPass, v1alpha1.VerdictFail, v1alpha1.VerdictNoData
	tests := map[string]struct {
		checks     []v1alpha1.CheckVerdict
		wantPhase  v1alpha1.Phase
		wantNoData float64
	}{
		"promoted after a failure and a gap": {checks: v(P, F, N, P, P, F, P), wantPhase: v1alpha1.PhasePromoted, wantNoData: 1},
		"rolled back at the threshold":       {checks: v(P, F, N, N, F, F), wantPhase: v1alpha1.PhaseRolledBack, wantNoData: 2},
		"promoted with every check passing":  {checks: nil, wantPhase: v1alpha1.PhasePromoted},
	}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec, err := telemetry.New(reg)
			if err != nil {
				t.Fatal(err)
			}
			sim := telemetrytest.NewSim("shop", "api",
				v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 80}},
				[]int32{10, 30, 50}, 10*time.Second, 3, start)
			sim.Checks = tc.checks
			var first time.Time
			for i := 0; i < 200 && !sim.Done(); i++ {
				sim.Tick(rec, 5*time.Second)
				if first.IsZero() {
					first = sim.Now
				}
			}
			st := sim.Release.Status
			if st.Phase != tc.wantPhase {
				t.Fatalf("ended %s (%s), want %s", st.Phase, st.Message, tc.wantPhase)
			}
			count := func(result string) float64 {
				return testutil.ToFloat64(counterVec(t, reg, "sluice_release_checks_total", "result", result))
			}
			if got := count(telemetry.CheckPassed); got != float64(st.Analysis.PassedChecks) {
				t.Errorf("passed %v, status says %d", got, st.Analysis.PassedChecks)
			}
			if got := count(telemetry.CheckFailed); got != float64(st.Analysis.FailedChecks) {
				t.Errorf("failed %v, status says %d", got, st.Analysis.FailedChecks)
			}
			if got := count(telemetry.CheckNoData); got != tc.wantNoData {
				t.Errorf("nodata %v, want %v", got, tc.wantNoData)
			}
			var inPhases float64
			for _, m := range family(t, reg, "sluice_release_phase_seconds_total").GetMetric() {
				inPhases += m.GetCounter().GetValue()
			}
			if want := st.FinishedAt.Sub(first).Seconds(); inPhases != want {
				t.Errorf("time in phases %vs, want %vs from the first observation to the end", inPhases, want)
			}
			var ended []string
			for _, m := range family(t, reg, "sluice_release_duration_seconds").GetMetric() {
				h := m.GetHistogram()
				if h.GetSampleCount() == 0 {
					continue
				}
				ended = append(ended, m.GetLabel()[2].GetValue())
				if want := st.FinishedAt.Sub(st.StartedAt.Time).Seconds(); h.GetSampleCount() != 1 || math.Abs(h.GetSampleSum()-want) > 1e-9 {
					t.Errorf("duration histogram: %d releases, %vs in all, want one of %vs", h.GetSampleCount(), h.GetSampleSum(), want)
				}
			}
			if want := map[v1alpha1.Phase]string{v1alpha1.PhasePromoted: telemetry.ResultPromoted, v1alpha1.PhaseRolledBack: telemetry.ResultRolledBack}[st.Phase]; len(ended) != 1 || ended[0] != want {
				t.Errorf("releases ended %v, want [%s]", ended, want)
			}
		})
	}
}

func family(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return &dto.MetricFamily{}
}

// counterVec is one counter of a family as a collector, 0 when absent.
func counterVec(t *testing.T, reg *prometheus.Registry, name, label, value string) prometheus.Collector {
	t.Helper()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "found", Help: "found"})
	for _, m := range family(t, reg, name).GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				c.Add(m.GetCounter().GetValue())
			}
		}
	}
	return c
}
