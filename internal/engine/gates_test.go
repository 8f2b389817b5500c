package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// held is a status at step i whose checks have had no data since t0.
func held(i, weight int32) v1alpha1.ReleaseStatus {
	s := passed(i, weight)
	since := metav1.NewTime(t0)
	s.Analysis.NoDataSince = &since
	return s
}

// TestNoDataNeverPasses checks every kind of gate against checks without
// data: held data holds, in pauses as in analysis steps and at the end.
func TestNoDataNeverPasses(t *testing.T) {
	tests := map[string]struct {
		last    v1alpha1.ReleaseStatus
		obs     Observation
		phase   v1alpha1.Phase
		step    int32
		message string
	}{
		"a timed pause whose checks are held waits": {
			last: held(2, 10), obs: obs(60, w(10)),
			phase: v1alpha1.PhaseProgressing, step: 2, message: "pause over, but the checks have had no data",
		},
		"a timed pause ends once data is back": {
			last: held(2, 10), obs: func() Observation { o := obs(70, w(10)); o.Check = pass(); return o }(),
			phase: v1alpha1.PhaseProgressing, step: 3,
		},
		"a held check at the end of the pause holds it": {
			last: passed(2, 10), obs: func() Observation { o := obs(60, w(10)); o.Check = noData(); return o }(),
			phase: v1alpha1.PhaseProgressing, step: 2, message: "pause over",
		},
		"the promotion waits while checks are held": {
			last: held(5, 50), obs: obs(100, w(50)),
			phase: v1alpha1.PhaseProgressing, step: 5, message: "promotion held: the checks have had no data",
		},
		"the promotion waits for a first passing check": {
			last: progressing(5, 50), obs: obs(100, w(50)),
			phase: v1alpha1.PhaseProgressing, step: 5, message: "waiting for a passing check",
		},
		"a judge pass does not end an analysis step while checks are held": {
			last: held(1, 10), obs: func() Observation {
				o := obs(5, w(10))
				o.Judge = &JudgeResult{Decision: JudgePass, AllowEarlyPass: true}
				return o
			}(),
			phase: v1alpha1.PhaseProgressing, step: 1,
		},
		"a person's promote overrides the gates": {
			last: held(5, 50), obs: func() Observation {
				o := obs(100, w(50))
				o.Command = &Command{ID: "p", Kind: CommandPromote}
				return o
			}(),
			phase: v1alpha1.PhasePromoting, step: 5, message: "stable is taking",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := step(t, withHash(testPlan()), tc.last, tc.obs).Status
			if got.Phase != tc.phase || got.StepIndex != tc.step || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("got %s step %d (%q), want %s step %d (%q)", got.Phase, got.StepIndex, got.Message, tc.phase, tc.step, tc.message)
			}
		})
	}
}

// TestHeldPauseCountsTowardNoDataTimeout checks that a pause held for want
// of data ends in a rollback once noDataTimeout has passed, never in a
// promotion: Prometheus down during the last pause.
func TestHeldPauseCountsTowardNoDataTimeout(t *testing.T) {
	plan := withHash(Plan{
		Steps:    []PlanStep{{Kind: StepSetWeight, Weight: 50}, {Kind: StepPause, Duration: 20 * time.Second}},
		Interval: 5 * time.Second, Threshold: 2, NoDataTimeout: 15 * time.Second, HasChecks: true,
	})
	st := passed(1, 50)
	for sec := 5; sec <= 120; sec += 5 {
		o := obs(sec, w(50))
		if CheckDue(plan, st, o.Now) {
			o.Check = noData() // Prometheus is down
		}
		st = step(t, plan, st, o).Status
		if st.Phase == v1alpha1.PhasePromoting || st.Phase == v1alpha1.PhasePromoted {
			t.Fatalf("promoted at %ds with no data: %s", sec, st.Message)
		}
		if st.Phase == v1alpha1.PhaseRollingBack {
			if sec < 15 {
				t.Fatalf("rolled back at %ds, before noDataTimeout", sec)
			}
			return
		}
	}
	t.Fatalf("still %s after 120s of no data: %s", st.Phase, st.Message)
}

func TestStepsEditedMidRelease(t *testing.T) {
	old := withHash(testPlan())
	shorter := old
	shorter.Steps = old.Steps[:3]
	shorter = withHash(shorter)

	t.Run("a release waiting at a later pause starts again, never promotes", func(t *testing.T) {
		last := passed(4, 50)
		last.Phase = v1alpha1.PhasePaused
		last.StepsHash = old.StepsHash
		got := step(t, shorter, last, obs(200, w(50)))
		st := got.Status
		if st.Phase != v1alpha1.PhaseProgressing || st.StepIndex != 0 || st.CanaryWeight != 10 || st.StepsHash != shorter.StepsHash {
			t.Fatalf("got %s step %d weight %d hash %s: %s", st.Phase, st.StepIndex, st.CanaryWeight, st.StepsHash, st.Message)
		}
		if len(got.Events) == 0 || got.Events[0].Reason != ReasonStepsChanged {
			t.Fatalf("events = %+v", got.Events)
		}
	})
	t.Run("an ended release keeps its end within the new steps", func(t *testing.T) {
		last := passed(5, 0)
		last.Phase, last.StableRevision = v1alpha1.PhasePromoted, "c1"
		last.StepsHash = old.StepsHash
		st := step(t, shorter, last, func() Observation { o := obs(200, w(0)); o.StableRevision = "c1"; return o }()).Status
		if st.Phase != v1alpha1.PhasePromoted || st.StepIndex != 3 {
			t.Fatalf("got %s step %d", st.Phase, st.StepIndex)
		}
		if _, err := Step(shorter, st, obs(201, w(0))); err != nil {
			t.Fatalf("the next tick refuses the status: %v", err)
		}
	})
}

func TestStatusThatDoesNotFit(t *testing.T) {
	plan := withHash(testPlan())
	tests := map[string]struct {
		mutate func(*v1alpha1.ReleaseStatus)
		field  string
	}{
		"negative step":                  {func(s *v1alpha1.ReleaseStatus) { s.StepIndex = -1 }, "status.stepIndex"},
		"step past the end of its steps": {func(s *v1alpha1.ReleaseStatus) { s.StepIndex = 9; s.StepsHash = plan.StepsHash }, "status.stepIndex"},
		"step past the end without hash": {func(s *v1alpha1.ReleaseStatus) { s.StepIndex = 6 }, "status.stepIndex"},
		"unknown phase":                  {func(s *v1alpha1.ReleaseStatus) { s.Phase = "Exploding" }, "status.phase"},
		"progressing without a start":    {func(s *v1alpha1.ReleaseStatus) { s.StartedAt = nil }, "status.startedAt"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := passed(2, 10)
			tc.mutate(&st)
			_, err := Step(plan, st, obs(100, w(10)))
			var se *StatusError
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("err = %v, want a StatusError at %s", err, tc.field)
			}
		})
	}
}

// TestAbortDuringPromotion: an abort before stable has taken the canary's
// revision rolls back; once stable runs it, there is no older version to
// go back to, and the abort is refused with its reason.
func TestAbortDuringPromotion(t *testing.T) {
	promoting := passed(5, 50)
	promoting.Phase = v1alpha1.PhasePromoting
	abort := func(stable string) Observation {
		o := obs(100, w(50))
		o.StableRevision = stable
		o.Command = &Command{ID: "a", Kind: CommandAbort}
		return o
	}
	got := step(t, withHash(testPlan()), promoting, abort("s1"))
	if got.Status.Phase != v1alpha1.PhaseRollingBack || got.Status.CanaryWeight != 0 {
		t.Fatalf("abort before the copy: %s weight %d", got.Status.Phase, got.Status.CanaryWeight)
	}
	got = step(t, withHash(testPlan()), promoting, abort("c1"))
	if got.Status.Phase != v1alpha1.PhasePromoting || len(got.Events) == 0 || got.Events[0].Reason != ReasonAbortRefused || got.Status.LastCommand != "a" {
		t.Fatalf("abort once stable runs the canary: %s %+v", got.Status.Phase, got.Events)
	}
}

// TestStableDownHolds checks that nothing moves while the stable version
// is not ready (crashed, being replaced): no step, no gate, no promotion;
// a failing canary still rolls back and a person's command still acts.
func TestStableDownHolds(t *testing.T) {
	down := func(o Observation) Observation { o.StableReady = false; return o }
	tests := map[string]struct {
		last  v1alpha1.ReleaseStatus
		obs   Observation
		phase v1alpha1.Phase
		step  int32
	}{
		"an ended timed pause waits":        {last: passed(2, 10), obs: down(obs(70, w(10))), phase: v1alpha1.PhaseProgressing, step: 2},
		"an analysis step does not pass":    {last: passed(1, 10), obs: func() Observation { o := down(obs(20, w(10))); o.Check = pass(); return o }(), phase: v1alpha1.PhaseProgressing, step: 1},
		"the promotion waits":               {last: passed(5, 50), obs: down(obs(100, w(50))), phase: v1alpha1.PhaseProgressing, step: 5},
		"a weight step does not move":       {last: passed(3, 10), obs: down(obs(100, w(10))), phase: v1alpha1.PhaseProgressing, step: 3},
		"with stable back the pause ends":   {last: passed(2, 10), obs: obs(70, w(10)), phase: v1alpha1.PhaseProgressing, step: 3},
		"a failing canary still rolls back": {last: func() v1alpha1.ReleaseStatus { s := passed(1, 10); s.Analysis.FailedChecks = 2; return s }(), obs: func() Observation { o := down(obs(20, w(10))); o.Check = fail(); return o }(), phase: v1alpha1.PhaseRollingBack, step: 1},
		"a person's promote still acts": {last: passed(5, 50), obs: func() Observation {
			o := down(obs(100, w(50)))
			o.Command = &Command{ID: "p", Kind: CommandPromote}
			return o
		}(), phase: v1alpha1.PhasePromoting, step: 5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := step(t, withHash(testPlan()), tc.last, tc.obs).Status
			if got.Phase != tc.phase || got.StepIndex != tc.step {
				t.Fatalf("got %s step %d (%q), want %s step %d", got.Phase, got.StepIndex, got.Message, tc.phase, tc.step)
			}
			if !tc.obs.StableReady && tc.phase == v1alpha1.PhaseProgressing && !strings.Contains(got.Message, "stable version is not ready") {
				t.Errorf("message does not say why it holds: %q", got.Message)
			}
		})
	}
}
