package hooks

import (
	"context"
	"sync"

	"sluice.dev/sluice/api/v1alpha1"
)

// Run calls every hook of type typ, at most Concurrency at a time, and
// reports whether all of them answered 2xx; failures are the ones that did
// not, in the order of hooks. No hooks of the type is ok.
//
// That is the whole answer for the gates (pre-rollout, rollout,
// confirm-promotion): not ok holds the release and counts a failed check.
// For rollback hooks use RollbackRequested, which asks the right question
// (did any hook say "roll back"?) and never says yes without hooks. For
// post-rollout and event hooks the answer is for logs only; Notify sends
// them without waiting.
func (c *Caller) Run(ctx context.Context, hooks []v1alpha1.Webhook, typ v1alpha1.WebhookType, p Payload) (ok bool, failures []Result) {
	for _, r := range c.callAll(ctx, ofType(hooks, typ), p) {
		if !r.OK {
			failures = append(failures, r)
		}
	}
	return len(failures) == 0, failures
}

// RollbackRequested asks the rollback hooks whether to roll back: yes when
// any of them answered 2xx, and asking are the hooks that did, whose
// messages say why. A hook that fails to answer (an error, a timeout, a
// 5xx) does not roll back: a broken receiver must not end every release.
func (c *Caller) RollbackRequested(ctx context.Context, hooks []v1alpha1.Webhook, p Payload) (yes bool, asking []Result) {
	for _, r := range c.callAll(ctx, ofType(hooks, v1alpha1.WebhookRollback), p) {
		if r.OK {
			asking = append(asking, r)
		}
	}
	return len(asking) > 0, asking
}

// Notify runs the hooks of a notification type (post-rollout, event) in the
// background and returns at once, so a slow receiver never delays a
// decision; their answers are only logged. The calls outlive ctx's
// cancellation but keep its values, and each is still bounded by its
// hook's timeout. Wait waits for them.
func (c *Caller) Notify(ctx context.Context, hooks []v1alpha1.Webhook, typ v1alpha1.WebhookType, p Payload) {
	selected := ofType(hooks, typ)
	if len(selected) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	c.notified.Go(func() { c.callAll(ctx, selected, p) })
}

// Wait blocks until every call Notify started has ended: for an orderly
// shutdown, and for tests.
func (c *Caller) Wait() { c.notified.Wait() }

func ofType(hooks []v1alpha1.Webhook, typ v1alpha1.WebhookType) []v1alpha1.Webhook {
	var selected []v1alpha1.Webhook
	for _, h := range hooks {
		if h.Type == typ {
			selected = append(selected, h)
		}
	}
	return selected
}

// callAll calls hooks with at most Concurrency calls in flight and returns
// their results in the order of hooks.
func (c *Caller) callAll(ctx context.Context, hooks []v1alpha1.Webhook, p Payload) []Result {
	limit := c.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	results := make([]Result, len(hooks))
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, h := range hooks {
		slots <- struct{}{} // each call ends within its timeout
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = c.Call(ctx, h, p)
		})
	}
	wg.Wait()
	return results
}
