package local

import (
	"context"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/hooks"
)

// confirmEvery spaces the confirm-promotion calls while a release waits at
// its gate: the runner ticks four times a second, a gate's answer rarely
// changes that fast, and the controller asks about as often.
const confirmEvery = time.Second

// localHooks runs a local release's webhooks as the controller does (see
// hooks.Stages), on the loop's own goroutine.
type localHooks struct {
	stages hooks.Stages
	// lastConfirm and confirmed remember the gate's last answer between
	// calls.
	lastConfirm time.Time
	confirmed   engine.Observation
}

func newLocalHooks(opts Options) *localHooks {
	return &localHooks{stages: hooks.Stages{Caller: &hooks.Caller{Logger: opts.Logger}}}
}

// check folds the pre-rollout and rollout hooks into a due check, and asks
// the rollback hooks unless a person's command is already there.
func (h *localHooks) check(ctx context.Context, rel *v1alpha1.Release, c engine.CheckResult, obs *engine.Observation) engine.CheckResult {
	c = h.stages.AddToCheck(ctx, rel, c)
	if obs.Command == nil {
		obs.Command = h.stages.AskRollback(ctx, rel, obs.Now)
	}
	return c
}

// confirm asks the confirm-promotion hooks once every step is done, at most
// every confirmEvery, and sets the engine's gate.
func (h *localHooks) confirm(ctx context.Context, rel *v1alpha1.Release, plan engine.Plan, obs *engine.Observation) {
	st := rel.Status
	waiting := int(st.StepIndex) >= len(plan.Steps) && (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused)
	if !waiting || !hooks.Has(rel, v1alpha1.WebhookConfirmPromotion) {
		return
	}
	if obs.Now.Sub(h.lastConfirm) >= confirmEvery {
		var asked engine.Observation
		h.stages.Confirm(ctx, rel, &asked)
		h.confirmed, h.lastConfirm = asked, obs.Now
	}
	obs.PromotionConfirmed, obs.HoldPromotion = h.confirmed.PromotionConfirmed, h.confirmed.HoldPromotion
}

// drain waits, boundedly, for event and post-rollout calls in flight.
func (h *localHooks) drain(ctx context.Context, limit time.Duration) {
	done := make(chan struct{})
	go func() { h.stages.Caller.Wait(); close(done) }()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}
