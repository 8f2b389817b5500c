package engine

import (
	"fmt"

	"sluice.dev/sluice/api/v1alpha1"
)

// StatusError says why a saved status cannot be resumed with a plan. The
// shells stall on it (Kubernetes) or refuse to start (the state file),
// naming the field; they never guess, and a status that does not fit is
// never promoted.
type StatusError struct {
	// Field is the status field at fault, such as status.stepIndex.
	Field  string
	Reason string
}

func (e *StatusError) Error() string { return e.Field + ": " + e.Reason }

// CheckStatus reports whether a saved status can be resumed with plan: a
// known phase, and a step index inside the steps it was made for. A status
// made for other steps (its stepsHash differs) is fine here: Step starts
// such a release again from step 1.
func CheckStatus(plan Plan, st v1alpha1.ReleaseStatus) error {
	switch st.Phase {
	case "", v1alpha1.PhaseInitializing, v1alpha1.PhaseWaiting, v1alpha1.PhaseProgressing,
		v1alpha1.PhasePaused, v1alpha1.PhasePromoting, v1alpha1.PhasePromoted,
		v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack:
	default:
		return &StatusError{Field: "status.phase", Reason: fmt.Sprintf("unknown phase %q", st.Phase)}
	}
	if st.StepIndex < 0 {
		return &StatusError{Field: "status.stepIndex", Reason: fmt.Sprintf("%d is negative", st.StepIndex)}
	}
	sameSteps := st.StepsHash == "" || st.StepsHash == plan.StepsHash
	if sameSteps && int(st.StepIndex) > len(plan.Steps) {
		return &StatusError{Field: "status.stepIndex", Reason: fmt.Sprintf("%d is past the last of %d steps", st.StepIndex, len(plan.Steps))}
	}
	if (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused) && (st.StartedAt == nil || st.StepStartedAt == nil) {
		return &StatusError{Field: "status.startedAt", Reason: fmt.Sprintf("a %s release needs startedAt and stepStartedAt", st.Phase)}
	}
	return nil
}
