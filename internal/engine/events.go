package engine

import (
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Reason names a decision. The set is closed: every consumer (alerts,
// telemetry, webhooks, the CLI's charts) switches on these constants and
// reads the event's fields; nothing ever parses a message.
type Reason string

// The reasons of the engine's decisions.
const (
	// ReasonInitialized: stable is ready; the release waits for a canary or
	// starts one.
	ReasonInitialized Reason = "Initialized"
	// ReasonNewRevision: a new canary revision starts a release at step 1.
	ReasonNewRevision Reason = "NewRevision"
	// ReasonReverted: the canary went back to the stable revision.
	ReasonReverted Reason = "Reverted"
	// ReasonStepsChanged: the steps were edited mid-release; it starts
	// again at step 1 with the same canary.
	ReasonStepsChanged Reason = "StepsChanged"
	// ReasonStepStarted: the release moved to the next step.
	ReasonStepStarted Reason = "StepStarted"
	// ReasonPromotedStep: a person moved the release past its step.
	ReasonPromotedStep Reason = "PromotedStep"
	// ReasonPromotedFull: a person skipped every remaining step.
	ReasonPromotedFull Reason = "PromotedFull"
	// ReasonPausedByUser: spec.paused (or `sluice pause`) holds the release.
	ReasonPausedByUser Reason = "PausedByUser"
	// ReasonPausedStep: a pause step without a duration waits for promote.
	ReasonPausedStep Reason = "PausedStep"
	// ReasonResumed: the cause of a pause is gone.
	ReasonResumed Reason = "Resumed"
	// ReasonCheckHeld: a check had no data; it holds, it never passes.
	ReasonCheckHeld Reason = "CheckHeld"
	// ReasonCheckFailed: a check failed and counts toward the threshold.
	ReasonCheckFailed Reason = "CheckFailed"
	// ReasonThresholdReached: failed checks reached the threshold.
	ReasonThresholdReached Reason = "ThresholdReached"
	// ReasonJudgePassed: the statistical judge passed the canary early.
	ReasonJudgePassed Reason = "JudgePassed"
	// ReasonJudgeFailed: the statistical judge failed the canary.
	ReasonJudgeFailed Reason = "JudgeFailed"
	// ReasonAborted: a person (or a rollback webhook) aborted.
	ReasonAborted Reason = "Aborted"
	// ReasonAbortRefused: an abort came once stable already runs the
	// canary's revision: there is no older version left to send traffic to.
	ReasonAbortRefused Reason = "AbortRefused"
	// ReasonRetried: a person started a rolled-back release again.
	ReasonRetried Reason = "Retried"
	// ReasonPromoting: every step and gate passed; promotion begins.
	ReasonPromoting Reason = "Promoting"
	// ReasonPromoted: the canary's revision is stable and serves all.
	ReasonPromoted Reason = "Promoted"
	// ReasonRolledBack: all traffic is back on stable.
	ReasonRolledBack Reason = "RolledBack"
	// ReasonStalled: a shell cannot go on without a person's change (an
	// invalid spec, a missing object, a saved state that does not fit).
	ReasonStalled Reason = "Stalled"
)

// Event is one decision, as data. Its fields say what happened; Message
// renders them for people.
type Event struct {
	Reason  Reason
	Warning bool
	// From and To are set when the phase changed.
	From, To v1alpha1.Phase
	// Step is the 1-based step the decision is about (0: none) of Steps,
	// and StepText that step in the spec's words.
	Step, Steps int32
	StepText    string
	// Weight is the canary weight after the decision.
	Weight int32
	// Revision is the canary revision concerned; StableRevision the
	// stable one; Previous a canary revision that was replaced.
	Revision, StableRevision, Previous string
	// Passed, Failed and Threshold count checks.
	Passed, Failed, Threshold int32
	// Detail is the sentence the check, judge or shell gave as its reason.
	Detail string
	// Waited and Allowed are how long checks have had no data, and the
	// noDataTimeout.
	Waited, Allowed time.Duration
}

// Message renders the event for people, from its fields alone.
func (e Event) Message() string {
	step := fmt.Sprintf("step %d/%d", e.Step, e.Steps)
	switch e.Reason {
	case ReasonInitialized:
		if e.Revision == "" || e.Revision == e.StableRevision {
			return "stable is ready; waiting for a new canary revision"
		}
		return "stable is ready; starting the release of canary " + Short(e.Revision)
	case ReasonNewRevision:
		if e.Previous != "" {
			return fmt.Sprintf("new canary revision %s replaces %s mid-release: starting again", Short(e.Revision), Short(e.Previous))
		}
		return fmt.Sprintf("new canary revision %s (stable %s)", Short(e.Revision), Short(e.StableRevision))
	case ReasonReverted:
		if e.To == v1alpha1.PhaseWaiting {
			return "canary matches stable again; waiting for a new revision"
		}
		return "the canary was reverted to the stable revision " + Short(e.StableRevision)
	case ReasonStepsChanged:
		return fmt.Sprintf("the steps changed mid-release (%d now): starting canary %s again from step 1", e.Steps, Short(e.Revision))
	case ReasonStepStarted:
		return fmt.Sprintf("%s: %s", step, e.StepText)
	case ReasonPromotedStep:
		if e.Step > e.Steps {
			return "promoted by user past the promotion gates"
		}
		return fmt.Sprintf("%s (%s) promoted by user", step, e.StepText)
	case ReasonPromotedFull:
		return "full promotion requested by user: skipping the remaining steps"
	case ReasonPausedByUser:
		return "paused by user; analysis keeps running"
	case ReasonPausedStep:
		return step + ": paused until promoted"
	case ReasonResumed:
		return fmt.Sprintf("resumed at %s (%s)", step, e.StepText)
	case ReasonCheckHeld:
		return fmt.Sprintf("check held, not passed: %s (no data for %s of %s allowed)", e.Detail, e.Waited.Round(time.Second), e.Allowed)
	case ReasonCheckFailed:
		return fmt.Sprintf("check %d/%d failed: %s", e.Failed, e.Threshold, e.Detail)
	case ReasonThresholdReached:
		return fmt.Sprintf("rolling back: %d failed checks reached the threshold of %d; last: %s", e.Failed, e.Threshold, e.Detail)
	case ReasonJudgePassed:
		return "statistical judge passed the canary: " + e.Detail
	case ReasonJudgeFailed:
		return "rolling back: statistical judge failed the canary: " + e.Detail
	case ReasonAborted:
		if e.Detail != "" {
			return "aborted: " + e.Detail
		}
		return "aborted by user"
	case ReasonAbortRefused:
		return fmt.Sprintf("abort refused: stable already runs canary %s, the promotion is under way; to go back, release the previous version as the next canary", Short(e.Revision))
	case ReasonRetried:
		return "retry requested by user: starting again from the first step"
	case ReasonPromoting:
		return fmt.Sprintf("all %d steps done after %d passed checks: promoting canary %s", e.Steps, e.Passed, Short(e.Revision))
	case ReasonPromoted:
		return fmt.Sprintf("revision %s promoted after %d passed checks", Short(e.Revision), e.Passed)
	case ReasonRolledBack:
		if e.Detail != "" {
			return "all traffic is back on stable; " + e.Detail
		}
		return "all traffic is back on stable"
	case ReasonStalled:
		return e.Detail
	}
	return string(e.Reason)
}

// Short is a revision as people read it.
func Short(rev string) string {
	if len(rev) > 10 {
		return rev[:10]
	}
	return rev
}
