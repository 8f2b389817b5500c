package engine

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// maxHistory bounds status.history so the object stays small.
const maxHistory = 50

// maxInstantSteps bounds how many steps can complete in one tick.
const maxInstantSteps = 100

// Step decides the next status and the desired world for one tick. It never
// mutates its arguments.
func Step(plan Plan, last v1alpha1.ReleaseStatus, obs Observation) Result {
	t := &tick{plan: plan, obs: obs, st: *last.DeepCopy(), now: metav1.NewTime(obs.Now)}
	t.st.StepCount = int32(len(plan.Steps))
	t.run()
	t.st.CanaryWeight = clampWeight(t.st.CanaryWeight)
	setConditions(&t.st, obs.Now)
	return Result{Status: t.st, Desired: t.desired(), Events: t.events}
}

// tick carries one call of Step.
type tick struct {
	plan   Plan
	obs    Observation
	st     v1alpha1.ReleaseStatus
	now    metav1.Time
	events []Event
}

func (t *tick) run() {
	t.applyCommand()
	if t.st.Phase == "" {
		t.st.Phase = v1alpha1.PhaseInitializing
		t.st.Message = "waiting for the stable version to be ready"
	}
	if t.handleRevisions() {
		return
	}
	switch t.st.Phase {
	case v1alpha1.PhaseInitializing:
		if !t.obs.StableReady {
			return
		}
		if t.obs.CanaryRevision == t.obs.StableRevision {
			t.st.StableRevision, t.st.CanaryRevision = t.obs.StableRevision, t.obs.CanaryRevision
			t.setPhase(v1alpha1.PhaseWaiting, "Initialized", "stable is ready; waiting for a new canary revision", false)
			return
		}
		t.startRelease("Initialized", "stable is ready; starting the release of the canary")
	case v1alpha1.PhaseProgressing, v1alpha1.PhasePaused:
		t.progress()
	case v1alpha1.PhasePromoting:
		t.promote()
	case v1alpha1.PhaseRollingBack:
		t.rollBack()
	}
}

// applyCommand applies a person's command once.
func (t *tick) applyCommand() {
	c := t.obs.Command
	if c == nil || c.ID == "" || c.ID == t.st.LastCommand {
		return
	}
	t.st.LastCommand = c.ID
	active := t.st.Phase == v1alpha1.PhaseProgressing || t.st.Phase == v1alpha1.PhasePaused
	switch c.Kind {
	case CommandAbort:
		if active || t.st.Phase == v1alpha1.PhasePromoting {
			t.startRollback("Aborted", "aborted by user")
		}
	case CommandPromote:
		if active {
			t.record("PromotedStep", fmt.Sprintf("step %d (%s) promoted by user", t.st.StepIndex+1, t.stepName()), false)
			t.nextStep()
		}
	case CommandPromoteFull:
		if active {
			t.st.StepIndex = int32(len(t.plan.Steps))
			t.setPhase(v1alpha1.PhasePromoting, "PromotedFull", "full promotion requested by user: skipping the remaining steps", false)
		}
	case CommandRetry:
		if t.st.Phase == v1alpha1.PhaseRolledBack && t.obs.CanaryRevision != t.obs.StableRevision {
			t.startRelease("Retried", "retry requested by user: starting again from the first step")
		}
	}
}

// handleRevisions starts a new release for a new canary revision and rolls
// back at once when the canary is reverted to the stable revision. It
// reports whether the tick is done.
func (t *tick) handleRevisions() bool {
	o := t.obs
	if o.CanaryRevision == "" {
		return false
	}
	mid := t.st.Phase == v1alpha1.PhaseProgressing || t.st.Phase == v1alpha1.PhasePaused
	switch {
	case o.CanaryRevision == o.StableRevision:
		if mid && o.CanaryRevision == t.st.CanaryRevision {
			// Stable caught up with the canary, which did not change: a
			// promotion is under way (seen through a stale status), not a
			// revert. Carry on.
			return false
		}
		if mid {
			t.startRollback("Reverted", "the canary was reverted to the stable revision "+short(o.StableRevision))
			return true
		}
		if t.st.Phase == v1alpha1.PhasePromoting && t.plan.PromoteBy == PromoteCopyToStable {
			return false // stable now runs the canary's spec: promotion under way
		}
		if t.st.Phase == v1alpha1.PhaseRolledBack && t.st.CanaryRevision != o.CanaryRevision {
			t.st.CanaryRevision = o.CanaryRevision
			t.setPhase(v1alpha1.PhaseWaiting, "Reverted", "canary matches stable again; waiting for a new revision", false)
			return true
		}
		return false
	case t.st.Phase == v1alpha1.PhaseInitializing:
		return false
	case t.st.Phase == v1alpha1.PhaseWaiting:
		if !o.StableReady {
			return false
		}
		t.startRelease("NewRevision", "new canary revision "+short(o.CanaryRevision))
		return true
	case t.st.CanaryRevision == "":
		return false
	case o.CanaryRevision != t.st.CanaryRevision:
		if !o.StableReady {
			return false
		}
		msg := "new canary revision " + short(o.CanaryRevision)
		if mid {
			msg += " replaces " + short(t.st.CanaryRevision) + " mid-release: starting again"
		}
		t.startRelease("NewRevision", msg)
		return true
	}
	return false
}

// startRelease resets the per-canary state and begins at the first step.
func (t *tick) startRelease(reason, msg string) {
	t.st.StableRevision = t.obs.StableRevision
	t.st.CanaryRevision = t.obs.CanaryRevision
	t.st.StepIndex = 0
	t.st.StepStartedAt = t.now.DeepCopy()
	t.st.CanaryWeight = 0
	t.st.Analysis = v1alpha1.AnalysisStatus{}
	t.st.StartedAt = t.now.DeepCopy()
	t.st.FinishedAt = nil
	t.setPhase(v1alpha1.PhaseProgressing, reason, msg, false)
	t.progress()
}

func (t *tick) startRollback(reason, msg string) {
	t.setPhase(v1alpha1.PhaseRollingBack, reason, msg, true)
	t.rollBack()
}

// rollBack sends every request to stable; it is done when the router says so.
func (t *tick) rollBack() {
	t.st.CanaryWeight = 0
	if w := t.obs.RouterWeight; w != nil && *w == 0 {
		t.st.FinishedAt = t.now.DeepCopy()
		t.setPhase(v1alpha1.PhaseRolledBack, "RolledBack", "all traffic is back on stable; "+t.st.Message, true)
	}
}

// promote carries out the promotion and ends Promoted.
func (t *tick) promote() {
	w := t.obs.RouterWeight
	switch t.plan.PromoteBy {
	case PromoteCopyToStable:
		if t.obs.StableRevision != t.st.CanaryRevision || !t.obs.StableReady {
			t.st.Message = "copying the canary's spec to stable and waiting for it to be ready"
			return
		}
		t.st.CanaryWeight = 0
		if w == nil || *w != 0 {
			t.st.Message = "stable runs the new revision; sending all traffic to it"
			return
		}
	default:
		t.st.CanaryWeight = 100
		if w == nil || *w != 100 {
			t.st.Message = "sending all traffic to the canary"
			return
		}
	}
	t.st.StableRevision = t.st.CanaryRevision
	t.st.FinishedAt = t.now.DeepCopy()
	t.setPhase(v1alpha1.PhasePromoted, "Promoted", fmt.Sprintf("revision %s promoted after %d passed checks", short(t.st.CanaryRevision), t.st.Analysis.PassedChecks), false)
}

// desired is the world the shell must bring about for this status.
func (t *tick) desired() Desired {
	d := Desired{CanaryWeight: t.st.CanaryWeight}
	switch t.st.Phase {
	case v1alpha1.PhaseProgressing, v1alpha1.PhasePaused:
		d.CanaryScaledUp = true
	case v1alpha1.PhasePromoting:
		d.CanaryScaledUp = true
		d.PromoteStable = true
	case v1alpha1.PhasePromoted:
		d.PromoteStable = true
		d.CanaryScaledUp = t.plan.PromoteBy == PromoteShiftToCanary
	}
	return d
}

// setPhase moves to a phase and records why.
func (t *tick) setPhase(p v1alpha1.Phase, reason, msg string, warning bool) {
	from := t.st.Phase
	t.st.Phase = p
	t.st.Message = msg
	t.events = append(t.events, Event{Reason: reason, Message: msg, Warning: warning, From: from, To: p})
	t.appendHistory(reason, msg, warning)
}

// record notes a decision that does not change the phase.
func (t *tick) record(reason, msg string, warning bool) {
	t.events = append(t.events, Event{Reason: reason, Message: msg, Warning: warning})
	t.appendHistory(reason, msg, warning)
}

func (t *tick) appendHistory(reason, msg string, warning bool) {
	t.st.History = append(t.st.History, v1alpha1.Decision{Time: t.now, Reason: reason, Message: msg, Warning: warning})
	if n := len(t.st.History); n > maxHistory {
		t.st.History = append([]v1alpha1.Decision(nil), t.st.History[n-maxHistory:]...)
	}
}

func short(rev string) string {
	if len(rev) > 10 {
		return rev[:10]
	}
	return rev
}
