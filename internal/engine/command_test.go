package engine

import (
	"errors"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// TestCommandApplies keeps the rule clients read before they send a
// command the same as the one Step applies: a command CommandApplies
// refuses changes nothing in Step but the command's id.
func TestCommandApplies(t *testing.T) {
	phases := []v1alpha1.Phase{"", v1alpha1.PhaseInitializing, v1alpha1.PhaseWaiting, v1alpha1.PhaseProgressing, v1alpha1.PhasePaused,
		v1alpha1.PhasePromoting, v1alpha1.PhasePromoted, v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack}
	kinds := []CommandKind{CommandPromote, CommandPromoteFull, CommandAbort, CommandRetry}
	want := map[CommandKind][]v1alpha1.Phase{
		CommandPromote:     {v1alpha1.PhaseProgressing, v1alpha1.PhasePaused},
		CommandPromoteFull: {v1alpha1.PhaseProgressing, v1alpha1.PhasePaused},
		CommandAbort:       {v1alpha1.PhaseProgressing, v1alpha1.PhasePaused, v1alpha1.PhasePromoting},
		CommandRetry:       {v1alpha1.PhaseRolledBack},
	}
	for _, k := range kinds {
		for _, p := range phases {
			err := CommandApplies(k, p)
			applies := false
			for _, q := range want[k] {
				applies = applies || q == p
			}
			if applies != (err == nil) {
				t.Errorf("%s in phase %q: applies %v, err %v", k, p, applies, err)
			}
			if err != nil && !errors.Is(err, ErrCommandNotApplicable) {
				t.Errorf("%s in phase %q: %v is not ErrCommandNotApplicable", k, p, err)
			}
			if p == "" || err == nil {
				continue
			}
			// Step ignores it: the status moves no differently than without it.
			st := progressing(1, 10)
			st.Phase = p
			o := obs(5, w(10))
			without := step(t, withHash(testPlan()), st, o).Status
			o.Command = &Command{ID: "x", Kind: k}
			with := step(t, withHash(testPlan()), st, o).Status
			if with.Phase != without.Phase || with.StepIndex != without.StepIndex || with.CanaryWeight != without.CanaryWeight || with.LastCommand != "x" {
				t.Errorf("%s in phase %s: Step acted on a command CommandApplies refuses: %s/%d/%d, without it %s/%d/%d",
					k, p, with.Phase, with.StepIndex, with.CanaryWeight, without.Phase, without.StepIndex, without.CanaryWeight)
			}
		}
	}
	if err := CommandApplies("restart", v1alpha1.PhasePaused); err == nil {
		t.Error("an unknown command applies")
	}
}
