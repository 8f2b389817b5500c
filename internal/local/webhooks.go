package local

import (
	"context"
	"sync"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/hooks"
	"sluice.dev/sluice/internal/release"
)

// confirmEvery spaces the confirm-promotion calls while a release waits at
// its gate: the runner ticks four times a second, a gate's answer rarely
// changes that fast, and the controller asks about as often.
const confirmEvery = time.Second

// localHooks are the webhooks as the controller runs them (hooks.Stages),
// with the confirm-promotion gate asked at most every confirmEvery: that
// is scheduling, the local shell's business.
type localHooks struct {
	hooks.Stages

	mu          sync.Mutex
	lastConfirm time.Time
	confirmed   bool
	hold        string
}

var _ release.Hooks = (*localHooks)(nil)

// Confirm asks the confirm-promotion hooks at most every confirmEvery and
// gives the engine the last answer in between.
func (h *localHooks) Confirm(ctx context.Context, rel *v1alpha1.Release, obs *engine.Observation) {
	if !hooks.Has(rel, v1alpha1.WebhookConfirmPromotion) {
		return
	}
	h.mu.Lock()
	due := obs.Now.Sub(h.lastConfirm) >= confirmEvery
	h.mu.Unlock()
	if due {
		var asked engine.Observation
		h.Stages.Confirm(ctx, rel, &asked)
		h.mu.Lock()
		h.confirmed, h.hold, h.lastConfirm = asked.PromotionConfirmed, asked.HoldPromotion, obs.Now
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	obs.PromotionConfirmed, obs.HoldPromotion = h.confirmed, h.hold
}

// drain waits, boundedly, for event and post-rollout calls in flight.
func (h *localHooks) drain(ctx context.Context, limit time.Duration) {
	done := make(chan struct{})
	go func() { h.Caller.Wait(); close(done) }()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}
