package hooks

import (
	"context"
	"fmt"
	"sync"

	"sluice.dev/sluice/api/v1alpha1"
)

// Run calls every hook of type typ, at most Concurrency at a time, and says
// whether the release may go on:
//
//   - pre-rollout, rollout, confirm-promotion: ok when every hook answered
//     2xx; failures are the ones that did not.
//   - rollback: ok when no hook answered 2xx; failures are the hooks that
//     asked for the rollback (their answers say why). Hooks that failed to
//     answer are only logged: they cannot roll a release back.
//   - post-rollout, event: always ok and no failures; answers are only
//     logged. Use Notify to not wait for them.
//
// No hooks of the type is ok. Results are in the order of hooks.
func (c *Caller) Run(ctx context.Context, hooks []v1alpha1.Webhook, typ v1alpha1.WebhookType, p Payload) (ok bool, failures []Result) {
	var selected []v1alpha1.Webhook
	for _, h := range hooks {
		if h.Type == typ {
			selected = append(selected, h)
		}
	}
	if len(selected) == 0 {
		return true, nil
	}
	switch typ {
	case v1alpha1.WebhookPreRollout, v1alpha1.WebhookRollout, v1alpha1.WebhookConfirmPromotion:
		for _, r := range c.callAll(ctx, selected, p) {
			if !r.OK {
				failures = append(failures, r)
			}
		}
		return len(failures) == 0, failures
	case v1alpha1.WebhookRollback:
		for _, r := range c.callAll(ctx, selected, p) {
			if r.OK {
				failures = append(failures, r)
			}
		}
		return len(failures) == 0, failures
	case v1alpha1.WebhookPostRollout, v1alpha1.WebhookEvent:
		c.callAll(ctx, selected, p)
		return true, nil
	}
	// The API's enum makes this unreachable for a valid Release; a gate
	// that cannot be understood does not pass.
	return false, []Result{{Hook: selected[0].Name, Type: typ, Message: fmt.Sprintf("unknown webhook type %q", typ)}}
}

// Notify runs the hooks of a notification type (post-rollout, event) in the
// background and returns at once, so a slow receiver never delays a
// decision. The calls outlive ctx's cancellation but keep its values;
// each is still bounded by its hook's timeout. Wait waits for them.
func (c *Caller) Notify(ctx context.Context, hooks []v1alpha1.Webhook, typ v1alpha1.WebhookType, p Payload) {
	ctx = context.WithoutCancel(ctx)
	c.notified.Go(func() { c.Run(ctx, hooks, typ, p) })
}

// Wait blocks until every call Notify started has ended: for an orderly
// shutdown, and for tests.
func (c *Caller) Wait() { c.notified.Wait() }

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
