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
	if !t.obs.StableReady {
		// Nothing moves while the version users fall back on is down: no
		// step, no gate, no promotion (a failing canary still rolls back,
		// and a person's command still acts).
		t.st.Message = fmt.Sprintf("step %d/%d: holding, the stable version is not ready", min(int(t.st.StepIndex)+1, len(t.plan.Steps)), len(t.plan.Steps))
		return
	}
	if !t.obs.CanaryReady {
		t.st.Message = "waiting for the canary to be ready"
		return
	}
	for range maxInstantSteps {
		if int(t.st.StepIndex) >= len(t.plan.Steps) {
			if t.waitForGates() {
				return
			}
			t.enterPromoting(ReasonPromoting)
			return
		}
		if t.obs.Paused {
			t.pause(ReasonPausedByUser, "paused by user; analysis keeps running")
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
	at := fmt.Sprintf("step %d/%d", t.st.StepIndex+1, len(t.plan.Steps))
	switch s.Kind {
	case StepSetWeight:
		t.st.CanaryWeight = s.Weight
		if w := t.obs.RouterWeight; w == nil || *w != s.Weight {
			t.st.Message = fmt.Sprintf("%s: setting canary weight to %d%%", at, s.Weight)
			return false
		}
		return true
	case StepPause:
		if s.Duration == 0 {
			t.pause(ReasonPausedStep, at+": paused until promoted")
			return false
		}
		if elapsed < s.Duration {
			t.st.Message = fmt.Sprintf("%s: pausing %s (%s left)", at, s.Duration, (s.Duration - elapsed).Round(time.Second))
			return false
		}
		// A pause is a gate like any other: while the checks have no data
		// it waits, and the wait counts toward noDataTimeout.
		if held := t.heldFor(); held != "" {
			t.st.Message = fmt.Sprintf("%s: pause over, but %s", at, held)
			return false
		}
		return true
	case StepAnalysis:
		if !t.plan.HasChecks {
			return true
		}
		if j := t.obs.Judge; j != nil && j.Decision == JudgePass && j.AllowEarlyPass && t.heldFor() == "" {
			t.record(Event{Reason: ReasonJudgePassed, Detail: j.Reason})
			return true
		}
		if t.st.Analysis.ConsecutivePasses >= s.Passes {
			return true
		}
		t.st.Message = fmt.Sprintf("%s: analysis, %d/%d passing checks", at, t.st.Analysis.ConsecutivePasses, s.Passes)
		return false
	}
	return true
}

// heldFor says why the checks hold the release (they have had no data
// since their last verdict), or "" when they do not.
func (t *tick) heldFor() string {
	a := t.st.Analysis
	if !t.plan.HasChecks || a.NoDataSince == nil {
		return ""
	}
	waited := t.obs.Now.Sub(a.NoDataSince.Time).Round(time.Second)
	return fmt.Sprintf("the checks have had no data for %s (of %s allowed): waiting for data", waited, t.plan.NoDataTimeout)
}

// pause enters Paused once, with its reason.
func (t *tick) pause(reason Reason, msg string) {
	if t.st.Phase != v1alpha1.PhasePaused {
		t.setPhase(v1alpha1.PhasePaused, Event{Reason: reason})
		return
	}
	t.st.Message = msg
}

// resume leaves Paused when the cause of the pause is gone.
func (t *tick) resume() {
	if t.st.Phase == v1alpha1.PhasePaused {
		t.setPhase(v1alpha1.PhaseProgressing, Event{Reason: ReasonResumed})
	}
}

// nextStep moves to the next step and starts its clock and its checks.
func (t *tick) nextStep() {
	t.st.StepIndex++
	t.st.StepStartedAt = t.now.DeepCopy()
	t.st.Analysis.ConsecutivePasses = 0
	if int(t.st.StepIndex) < len(t.plan.Steps) {
		t.record(Event{Reason: ReasonStepStarted})
	}
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
	verdict, detail := c.Verdict, c.Reason
	if verdict == v1alpha1.VerdictNoData {
		a.ConsecutivePasses = 0
		if a.NoDataSince == nil {
			a.NoDataSince = t.now.DeepCopy()
		}
		waited := t.obs.Now.Sub(a.NoDataSince.Time)
		if waited < t.plan.NoDataTimeout {
			t.record(Event{Reason: ReasonCheckHeld, Warning: true, Detail: detail, Waited: waited, Allowed: t.plan.NoDataTimeout})
			return false
		}
		verdict = v1alpha1.VerdictFail
		detail = fmt.Sprintf("%s, for %s ≥ noDataTimeout %s", detail, waited.Round(time.Second), t.plan.NoDataTimeout)
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
	ev := Event{Reason: ReasonCheckFailed, Warning: true, Failed: a.FailedChecks, Threshold: t.plan.Threshold, Detail: detail}
	t.record(ev)
	if a.FailedChecks >= t.plan.Threshold {
		ev.Reason = ReasonThresholdReached
		t.startRollback(ev)
		return true
	}
	return false
}

// waitForGates holds the promotion while a gate says no: a
// confirm-promotion webhook, the statistical judge when the plan asks for
// its pass, and the checks, which must have passed at least once and must
// not be held for want of data. It reports whether the release must wait.
func (t *tick) waitForGates() bool {
	const done = "all steps done; "
	if held := t.heldFor(); held != "" {
		t.st.Message = done + "promotion held: " + held
		return true
	}
	if t.plan.HasChecks && t.st.Analysis.PassedChecks == 0 {
		t.st.Message = done + "waiting for a passing check before promoting (none has passed yet)"
		if t.st.CanaryWeight == 0 && !t.plan.HasMatch {
			t.st.Message += "; the canary gets no traffic, so no check can run: promote by hand or give it a weight"
		}
		return true
	}
	if t.obs.HoldPromotion != "" {
		t.st.Message = done + "promotion held: " + t.obs.HoldPromotion
		return true
	}
	if t.plan.ConfirmGate && !t.obs.PromotionConfirmed {
		t.st.Message = done + "asking the confirm-promotion webhooks"
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
	t.st.Message = done + "waiting for the statistical judge to pass the canary: " + reason
	return true
}

// applyJudge rolls back at once when the statistical judge fails the canary.
func (t *tick) applyJudge() bool {
	j := t.obs.Judge
	if j == nil || j.Decision != JudgeFail {
		return false
	}
	t.startRollback(Event{Reason: ReasonJudgeFailed, Detail: j.Reason})
	return true
}
