package engine

import (
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Observation is what a shell saw of the world just before calling Step.
// Everything the engine needs to know from outside arrives here, the time
// included, so a decision can be replayed exactly.
type Observation struct {
	Now time.Time

	// StableRevision and CanaryRevision identify the two versions' specs.
	// Equal revisions mean there is nothing to release (or it was reverted).
	StableRevision string
	CanaryRevision string
	StableReady    bool
	CanaryReady    bool

	// RouterWeight is the canary weight the router reports; nil if unknown.
	RouterWeight *int32

	// Paused mirrors spec.paused: a person asked to hold the release.
	Paused bool

	// Check is the result of an analysis check run for this tick, or nil.
	// Shells run one only when CheckDue says so.
	Check *CheckResult

	// Judge is the statistical judge's verdict, or nil when it is off.
	Judge *JudgeResult

	// Command is a person's promote/abort/retry, or nil.
	Command *Command

	// HoldPromotion, when set, says why the promotion must wait (a
	// confirm-promotion gate said no); the release holds after its last step.
	HoldPromotion string

	// PromotionConfirmed is true when the confirm-promotion webhooks said
	// yes on this tick; with Plan.ConfirmGate nothing is promoted without.
	PromotionConfirmed bool
}

// CheckResult is one analysis check: all metrics evaluated at one time.
type CheckResult struct {
	// Verdict is Fail if any metric failed, else NoData if any had no data,
	// else Pass.
	Verdict v1alpha1.CheckVerdict
	// Reason is a sentence naming the metric that decided the verdict.
	Reason  string
	Metrics []v1alpha1.MetricStatus
}

// JudgeDecision is the statistical judge's three-way answer.
type JudgeDecision string

// The statistical judge's answers.
const (
	JudgeFail     JudgeDecision = "Fail"
	JudgePass     JudgeDecision = "Pass"
	JudgeContinue JudgeDecision = "Continue"
)

// JudgeResult is the judge's verdict as the engine needs it.
type JudgeResult struct {
	Decision JudgeDecision
	Reason   string
	// AllowEarlyPass lets a Pass end an analysis step before its checks.
	AllowEarlyPass bool
}

// CommandKind is what a person asked for.
type CommandKind string

// The commands a person can give.
const (
	// CommandPromote moves past the current step (ends a pause).
	CommandPromote CommandKind = "promote"
	// CommandPromoteFull skips every remaining step and promotes.
	CommandPromoteFull CommandKind = "promote-full"
	// CommandAbort rolls back at once.
	CommandAbort CommandKind = "abort"
	// CommandRetry starts a rolled-back release again from its first step.
	CommandRetry CommandKind = "retry"
)

// Command is a request from a person; ID makes it apply at most once even
// when the shell shows it to the engine on several ticks.
type Command struct {
	ID   string
	Kind CommandKind
	// Detail says who asked, when not a person (a rollback webhook).
	Detail string
}

// ParseCommandKind checks a command word as a person or a client typed it.
func ParseCommandKind(s string) (CommandKind, bool) {
	switch k := CommandKind(s); k {
	case CommandPromote, CommandPromoteFull, CommandAbort, CommandRetry:
		return k, true
	}
	return "", false
}

// Desired is the state the shell must bring the world to. It is given in
// full on every tick (level-triggered), so a restarted shell converges.
type Desired struct {
	// CanaryWeight is the percent of traffic for the canary.
	CanaryWeight int32
	// CanaryScaledUp says whether the canary should be running.
	CanaryScaledUp bool
	// Match says whether the release's match rules send the requests they
	// match to the canary: while a canary is under test or being promoted,
	// never once the release has ended or while it rolls back.
	Match bool
	// PromoteStable asks the workload driver to make the stable side run
	// the canary's revision (status.canaryRevision): copy the pod template
	// to the stable Deployment, or hand the canary process over to the
	// stable slot. The engine waits for stable to run it and be ready, then
	// sends all traffic back to stable.
	PromoteStable bool
}

// Result is what Step decided.
type Result struct {
	Status  v1alpha1.ReleaseStatus
	Desired Desired
	Events  []Event
}
