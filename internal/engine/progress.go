package engine

import (
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// CheckDue reports whether the shell should run an analysis check now. A
// check is due once per interval while the canary takes traffic.
func CheckDue(plan Plan, st v1alpha1.ReleaseStatus, now time.Time) bool {
	if !plan.HasChecks {
		return false
	}
	if st.Phase != v1alpha1.PhaseProgressing && st.Phase != v1alpha1.PhasePaused {
		return false
	}
	if st.CanaryWeight == 0 && !plan.HasMatch {
		return false
	}
	since := st.Analysis.LastCheckAt
	if since == nil {
		since = st.StartedAt
	}
	return since == nil || !now.Before(since.Add(plan.Interval))
}

// progress runs checks and moves through the steps.
func (t *tick) progress() {
	if t.applyCheck() || t.applyJudge() {
		return
	}
	if !t.obs.CanaryReady {
		t.st.Message = "waiting for the canary to be ready"
		return
	}
	for i := 0; i < maxInstantSteps; i++ {
		if int(t.st.StepIndex) >= len(t.plan.Steps) {
			if t.waitForGates() {
				return
			}
			t.setPhase(v1alpha1.PhasePromoting, "Promoting", fmt.Sprintf("all %d steps done after %d passed checks: promoting the canary", len(t.plan.Steps), t.st.Analysis.PassedChecks), false)
			t.promote()
			return
		}
		if t.obs.Paused {
			t.pause("PausedByUser", "paused by user; analysis keeps running")
			return
		}
		if !t.stepDone(t.plan.Steps[t.st.StepIndex]) {
			return
		}
		t.nextStep()
	}
}

// stepDone sets the step's wanted state and reports whether it is complete.
func (t *tick) stepDone(s PlanStep) bool {
	if s.Kind != StepPause || s.Duration != 0 {
		t.resume() // an indefinite pause step keeps the release Paused
	}
	elapsed := t.obs.Now.Sub(t.st.StepStartedAt.Time)
	switch s.Kind {
	case StepSetWeight:
		t.st.CanaryWeight = s.Weight
		if w := t.obs.RouterWeight; w == nil || *w != s.Weight {
			t.st.Message = fmt.Sprintf("step %d/%d: setting canary weight to %d%%", t.st.StepIndex+1, len(t.plan.Steps), s.Weight)
			return false
		}
		return true
	case StepPause:
		if s.Duration == 0 {
			t.pause("PausedStep", fmt.Sprintf("step %d/%d: paused until promoted", t.st.StepIndex+1, len(t.plan.Steps)))
			return false
		}
		if elapsed < s.Duration {
			t.st.Message = fmt.Sprintf("step %d/%d: pausing %s (%s left)", t.st.StepIndex+1, len(t.plan.Steps), s.Duration, (s.Duration - elapsed).Round(time.Second))
			return false
		}
		return true
	case StepAnalysis:
		if !t.plan.HasChecks {
			return true
		}
		if j := t.obs.Judge; j != nil && j.Decision == JudgePass && j.AllowEarlyPass {
			t.record("JudgePassed", "statistical judge passed the canary: "+j.Reason, false)
			return true
		}
		if t.st.Analysis.ConsecutivePasses >= s.Passes {
			return true
		}
		t.st.Message = fmt.Sprintf("step %d/%d: analysis, %d/%d passing checks", t.st.StepIndex+1, len(t.plan.Steps), t.st.Analysis.ConsecutivePasses, s.Passes)
		return false
	}
	return true
}

// pause enters Paused once, with its reason.
func (t *tick) pause(reason, msg string) {
	if t.st.Phase != v1alpha1.PhasePaused {
		t.setPhase(v1alpha1.PhasePaused, reason, msg, false)
		return
	}
	t.st.Message = msg
}

// resume leaves Paused when the cause of the pause is gone.
func (t *tick) resume() {
	if t.st.Phase == v1alpha1.PhasePaused {
		t.setPhase(v1alpha1.PhaseProgressing, "Resumed", fmt.Sprintf("resumed at step %d/%d (%s)", t.st.StepIndex+1, len(t.plan.Steps), t.stepName()), false)
	}
}

// nextStep moves to the next step and starts its clock and its checks.
func (t *tick) nextStep() {
	t.st.StepIndex++
	t.st.StepStartedAt = t.now.DeepCopy()
	t.st.Analysis.ConsecutivePasses = 0
	if int(t.st.StepIndex) < len(t.plan.Steps) {
		t.record("StepStarted", fmt.Sprintf("step %d/%d: %s", t.st.StepIndex+1, len(t.plan.Steps), t.stepName()), false)
	}
}

func (t *tick) stepName() string {
	if i := int(t.st.StepIndex); i < len(t.plan.Steps) {
		return t.plan.Steps[i].String()
	}
	return "promotion"
}

// applyCheck counts one check. It reports whether the release is rolling
// back. No data is never a pass: it holds the step, and once it has lasted
// NoDataTimeout every check without data counts as failed.
func (t *tick) applyCheck() bool {
	c := t.obs.Check
	if c == nil {
		return false
	}
	a := &t.st.Analysis
	a.LastCheckAt = t.now.DeepCopy()
	a.Metrics = c.Metrics
	verdict, reason := c.Verdict, c.Reason
	if verdict == v1alpha1.VerdictNoData {
		a.ConsecutivePasses = 0
		if a.NoDataSince == nil {
			a.NoDataSince = t.now.DeepCopy()
		}
		waited := t.obs.Now.Sub(a.NoDataSince.Time)
		if waited < t.plan.NoDataTimeout {
			t.record("CheckHeld", fmt.Sprintf("check held, not passed: %s (no data for %s of %s allowed)", reason, waited.Round(time.Second), t.plan.NoDataTimeout), true)
			return false
		}
		verdict = v1alpha1.VerdictFail
		reason = fmt.Sprintf("%s, for %s ≥ noDataTimeout %s", reason, waited.Round(time.Second), t.plan.NoDataTimeout)
	} else {
		a.NoDataSince = nil
	}
	if verdict == v1alpha1.VerdictPass {
		a.PassedChecks++
		a.ConsecutivePasses++
		return false
	}
	a.FailedChecks++
	a.ConsecutivePasses = 0
	msg := fmt.Sprintf("check %d/%d failed: %s", a.FailedChecks, t.plan.Threshold, reason)
	if a.FailedChecks >= t.plan.Threshold {
		t.record("CheckFailed", msg, true)
		t.startRollback("ThresholdReached", fmt.Sprintf("rolling back: %d failed checks reached the threshold of %d; last: %s", a.FailedChecks, t.plan.Threshold, reason))
		return true
	}
	t.record("CheckFailed", msg, true)
	return false
}

// waitForGates holds the promotion while a gate says no, and until the
// judge has passed the canary when the plan asks for it. It reports whether
// the release must wait.
func (t *tick) waitForGates() bool {
	if t.obs.HoldPromotion != "" {
		t.st.Message = "all steps done; promotion held: " + t.obs.HoldPromotion
		return true
	}
	if t.plan.ConfirmGate && !t.obs.PromotionConfirmed {
		t.st.Message = "all steps done; asking the confirm-promotion webhooks"
		return true
	}
	if !t.plan.JudgeGate {
		return false
	}
	j := t.obs.Judge
	if j != nil && j.Decision == JudgePass {
		return false
	}
	reason := "no verdict yet"
	if j != nil && j.Reason != "" {
		reason = j.Reason
	}
	t.st.Message = "all steps done; waiting for the statistical judge to pass the canary: " + reason
	return true
}

// applyJudge rolls back at once when the statistical judge fails the canary.
func (t *tick) applyJudge() bool {
	j := t.obs.Judge
	if j == nil || j.Decision != JudgeFail {
		return false
	}
	t.startRollback("JudgeFailed", "rolling back: statistical judge failed the canary: "+j.Reason)
	return true
}
