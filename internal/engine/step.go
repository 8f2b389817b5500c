package engine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// maxHistory bounds status.history so the object stays small.
const maxHistory = 50

// maxInstantSteps bounds how many steps can complete in one tick.
const maxInstantSteps = 100

// Step decides the next status and the desired world for one tick. It never
// mutates its arguments. A last status that does not fit the plan (a phase
// it does not know, a step index out of range for the steps it was made
// for) is an error that names the problem: a shell then stalls rather than
// guess, and above all never promotes.
func Step(plan Plan, last v1alpha1.ReleaseStatus, obs Observation) (Result, error) {
	if err := CheckStatus(plan, last); err != nil {
		return Result{}, err
	}
	t := &tick{plan: plan, obs: obs, st: *last.DeepCopy(), now: metav1.NewTime(obs.Now)}
	t.st.StepCount = int32(len(plan.Steps))
	t.run()
	// The status is made for these steps from now on; a release that ended
	// under other steps keeps where it ended, within these.
	t.st.StepsHash = plan.StepsHash
	t.st.StepIndex = min(t.st.StepIndex, int32(len(plan.Steps)))
	t.st.CanaryWeight = clampWeight(t.st.CanaryWeight)
	t.settleWeights()
	setConditions(&t.st, obs.Now)
	return Result{Status: t.st, Desired: t.desired(), Events: t.events}, nil
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
	if t.handleRevisions() || t.handleNewSteps() {
		return
	}
	switch t.st.Phase {
	case v1alpha1.PhaseInitializing:
		if !t.obs.StableReady {
			return
		}
		if t.obs.CanaryRevision == t.obs.StableRevision {
			t.st.StableRevision, t.st.CanaryRevision = t.obs.StableRevision, t.obs.CanaryRevision
			t.setPhase(v1alpha1.PhaseWaiting, Event{Reason: ReasonInitialized})
			return
		}
		t.startRelease(Event{Reason: ReasonInitialized})
	case v1alpha1.PhaseProgressing, v1alpha1.PhasePaused:
		t.progress()
	case v1alpha1.PhasePromoting:
		t.promote()
	case v1alpha1.PhaseRollingBack:
		t.rollBack()
	}
}

// active reports whether a canary is under test.
func (t *tick) active() bool {
	return t.st.Phase == v1alpha1.PhaseProgressing || t.st.Phase == v1alpha1.PhasePaused
}

// applyCommand applies a person's command once.
func (t *tick) applyCommand() {
	c := t.obs.Command
	if c == nil || c.ID == "" || c.ID == t.st.LastCommand {
		return
	}
	t.st.LastCommand = c.ID
	if CommandApplies(c.Kind, t.st.Phase) != nil {
		return
	}
	switch c.Kind {
	case CommandAbort:
		switch {
		case t.st.Phase == v1alpha1.PhasePromoting && t.obs.StableRevision == t.st.CanaryRevision:
			// Stable took the canary's revision already: sending all
			// traffic to stable would not bring the older version back.
			t.record(Event{Reason: ReasonAbortRefused, Warning: true})
		default:
			t.startRollback(Event{Reason: ReasonAborted, Detail: c.Detail})
		}
	case CommandPromote:
		t.record(Event{Reason: ReasonPromotedStep})
		if int(t.st.StepIndex) >= len(t.plan.Steps) {
			// Past the last step only the gates hold: a person's promote
			// overrides them, as --full would.
			t.enterPromoting(ReasonPromotedStep)
			return
		}
		t.nextStep()
	case CommandPromoteFull:
		t.st.StepIndex = int32(len(t.plan.Steps))
		t.enterPromoting(ReasonPromotedFull)
	case CommandRetry:
		if t.obs.CanaryRevision != "" && t.obs.CanaryRevision != t.obs.StableRevision {
			t.startRelease(Event{Reason: ReasonRetried})
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
	mid := t.active()
	switch {
	case o.CanaryRevision == o.StableRevision:
		if mid && o.CanaryRevision == t.st.CanaryRevision {
			// Stable caught up with the canary, which did not change: a
			// promotion is under way (seen through a stale status), not a
			// revert. Carry on.
			return false
		}
		if mid {
			t.startRollback(Event{Reason: ReasonReverted})
			return true
		}
		if t.st.Phase == v1alpha1.PhaseRolledBack && t.st.CanaryRevision != o.CanaryRevision {
			t.st.CanaryRevision = o.CanaryRevision
			t.setPhase(v1alpha1.PhaseWaiting, Event{Reason: ReasonReverted})
			return true
		}
		return false
	case t.st.Phase == v1alpha1.PhaseInitializing:
		return false
	case t.st.Phase == v1alpha1.PhaseWaiting:
		if !o.StableReady {
			return false
		}
		t.startRelease(Event{Reason: ReasonNewRevision})
		return true
	case t.st.CanaryRevision == "":
		return false
	case o.CanaryRevision != t.st.CanaryRevision:
		if !o.StableReady {
			return false
		}
		ev := Event{Reason: ReasonNewRevision}
		if mid {
			ev.Previous = t.st.CanaryRevision
		}
		t.startRelease(ev)
		return true
	}
	return false
}

// handleNewSteps starts the release again at step 1 when its steps were
// edited while a canary was under test: a saved index means nothing in
// other steps. A status without a hash (written before it was kept) is
// taken as made for these steps.
func (t *tick) handleNewSteps() bool {
	if t.st.StepsHash == "" || t.st.StepsHash == t.plan.StepsHash {
		return false
	}
	if !t.active() {
		return false // Step keeps an ended release's index within the new steps
	}
	t.startRelease(Event{Reason: ReasonStepsChanged})
	return true
}

// startRelease resets the per-canary state and begins at the first step.
func (t *tick) startRelease(ev Event) {
	t.st.StableRevision = t.obs.StableRevision
	t.st.CanaryRevision = t.obs.CanaryRevision
	t.st.StepIndex = 0
	t.st.StepStartedAt = t.now.DeepCopy()
	t.st.CanaryWeight = 0
	t.st.Analysis = v1alpha1.AnalysisStatus{}
	t.st.StartedAt = t.now.DeepCopy()
	t.st.FinishedAt = nil
	t.st.StepsHash = t.plan.StepsHash
	t.setPhase(v1alpha1.PhaseProgressing, ev)
	t.progress()
}

func (t *tick) startRollback(ev Event) {
	ev.Warning = true
	t.st.CanaryWeight = 0
	t.setPhase(v1alpha1.PhaseRollingBack, ev)
	t.rollBack()
}

// rollBack sends every request to stable; it is done when the router says so.
func (t *tick) rollBack() {
	t.st.CanaryWeight = 0
	if w := t.obs.RouterWeight; w != nil && *w == 0 {
		t.st.FinishedAt = t.now.DeepCopy()
		t.setPhase(v1alpha1.PhaseRolledBack, Event{Reason: ReasonRolledBack, Warning: true, Detail: t.st.Message})
	}
}

// enterPromoting starts the promotion once every step and gate passed (or
// a person said so).
func (t *tick) enterPromoting(reason Reason) {
	t.setPhase(v1alpha1.PhasePromoting, Event{Reason: reason})
	t.promote()
}

// promote has stable run the canary's revision, then sends all traffic to
// stable, and ends Promoted. Until stable is ready with that revision the
// canary keeps its weight, so users are never left without it.
func (t *tick) promote() {
	if t.obs.StableRevision != t.st.CanaryRevision || !t.obs.StableReady {
		t.st.Message = "stable is taking canary " + Short(t.st.CanaryRevision) + "'s revision; waiting for it to be ready"
		return
	}
	t.st.CanaryWeight = 0
	if w := t.obs.RouterWeight; w == nil || *w != 0 {
		t.st.Message = "stable runs revision " + Short(t.st.CanaryRevision) + "; sending all traffic to it"
		return
	}
	t.st.StableRevision = t.st.CanaryRevision
	t.st.FinishedAt = t.now.DeepCopy()
	t.setPhase(v1alpha1.PhasePromoted, Event{Reason: ReasonPromoted})
}

// desired is the world the shell must bring about for this status.
func (t *tick) desired() Desired {
	d := Desired{CanaryWeight: t.st.CanaryWeight}
	switch t.st.Phase {
	case v1alpha1.PhaseProgressing, v1alpha1.PhasePaused:
		d.CanaryScaledUp = true
		d.Match = t.plan.HasMatch
	case v1alpha1.PhasePromoting:
		d.CanaryScaledUp = true
		d.PromoteStable = true
		d.Match = t.plan.HasMatch
	case v1alpha1.PhasePromoted:
		d.PromoteStable = true
	}
	return d
}

// setPhase moves to a phase and records why.
func (t *tick) setPhase(p v1alpha1.Phase, ev Event) {
	ev.From, ev.To = t.st.Phase, p
	t.st.Phase = p
	t.record(ev)
	t.st.Message = t.events[len(t.events)-1].Message()
}

// record notes a decision, filling in what the status knows.
func (t *tick) record(ev Event) {
	if ev.Step == 0 && ev.Reason != ReasonInitialized && ev.Reason != ReasonNewRevision && ev.Reason != ReasonStepsChanged && ev.Reason != ReasonRetried {
		ev.Step = t.st.StepIndex + 1
	}
	ev.Steps = int32(len(t.plan.Steps))
	if ev.StepText == "" {
		ev.StepText = t.stepName(ev.Step - 1)
	}
	ev.Weight = t.st.CanaryWeight
	if ev.Revision == "" {
		ev.Revision = t.st.CanaryRevision
	}
	if ev.StableRevision == "" {
		ev.StableRevision = t.st.StableRevision
		if t.obs.StableRevision != "" && ev.Reason == ReasonReverted {
			ev.StableRevision = t.obs.StableRevision
		}
	}
	if ev.Passed == 0 {
		ev.Passed = t.st.Analysis.PassedChecks
	}
	t.events = append(t.events, ev)
	t.st.History = append(t.st.History, v1alpha1.Decision{
		Time: t.now, Reason: string(ev.Reason), Message: ev.Message(), Warning: ev.Warning,
		CanaryWeight: ev.Weight, Step: ev.Step, Revision: ev.Revision,
	})
	if n := len(t.st.History); n > maxHistory {
		t.st.History = append([]v1alpha1.Decision(nil), t.st.History[n-maxHistory:]...)
	}
}

// settleWeights gives every decision of this tick the weight the tick
// ended with: a release that starts sets its first step's weight in the
// same tick, and a chart must show that weight from the decision on.
func (t *tick) settleWeights() {
	n := len(t.events)
	for i := range t.events {
		t.events[i].Weight = t.st.CanaryWeight
	}
	h := t.st.History
	for i := max(0, len(h)-n); i < len(h); i++ {
		h[i].CanaryWeight = t.st.CanaryWeight
	}
}

func (t *tick) stepName(i int32) string {
	if i >= 0 && int(i) < len(t.plan.Steps) {
		return t.plan.Steps[i].String()
	}
	return "promotion"
}
