package engine

import (
	"errors"
	"fmt"

	"sluice.dev/sluice/api/v1alpha1"
)

// ErrCommandNotApplicable is a person's command that the release, in its
// phase, would take and do nothing with: clients say so instead of
// "requested".
var ErrCommandNotApplicable = errors.New("nothing to do")

// CommandApplies says whether a command acts on a release in this phase,
// the rule applyCommand keeps; the error says why not and what would.
func CommandApplies(k CommandKind, phase v1alpha1.Phase) error {
	active := phase == v1alpha1.PhaseProgressing || phase == v1alpha1.PhasePaused
	shown := phase
	if shown == "" {
		shown = v1alpha1.PhaseInitializing
	}
	switch k {
	case CommandAbort:
		if active || phase == v1alpha1.PhasePromoting {
			return nil
		}
		return fmt.Errorf("%w: the release is %s, with no canary under test to abort", ErrCommandNotApplicable, shown)
	case CommandPromote, CommandPromoteFull:
		if active {
			return nil
		}
		return fmt.Errorf("%w: the release is %s, with no canary under test to promote; a new canary revision starts the next release", ErrCommandNotApplicable, shown)
	case CommandRetry:
		if phase == v1alpha1.PhaseRolledBack {
			return nil
		}
		return fmt.Errorf("%w: the release is %s; retry starts a rolled-back release again", ErrCommandNotApplicable, shown)
	}
	return fmt.Errorf("unknown command %q", k)
}
