package hooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// Stages runs a release's webhooks at the points of its life the engine
// defines, in the engine's terms, so a webhook means the same thing in the
// cluster and under `sluice run`: pre-rollout and rollout hooks are part
// of a check, a rollback hook's yes is an abort, confirm-promotion gates
// the promotion, event and post-rollout hooks hear the decisions.
type Stages struct {
	Caller *Caller
}

// AddToCheck runs the pre-rollout hooks (at a canary's first check) and the
// rollout hooks (at every check) and folds them into res: a hook that does
// not answer 2xx fails the check, with its reason.
func (s Stages) AddToCheck(ctx context.Context, rel *v1alpha1.Release, res engine.CheckResult) engine.CheckResult {
	a := rel.Status.Analysis
	types := []v1alpha1.WebhookType{v1alpha1.WebhookRollout}
	if a.PassedChecks+a.FailedChecks == 0 {
		types = []v1alpha1.WebhookType{v1alpha1.WebhookPreRollout, v1alpha1.WebhookRollout}
	}
	var failed []string
	for _, typ := range types {
		if !Has(rel, typ) {
			continue
		}
		if ok, failures := s.Caller.Run(ctx, rel.Spec.Webhooks, typ, payloadOf(rel, typ, "analysis check")); !ok {
			failed = append(failed, fmt.Sprintf("%s webhook failed: %s", typ, reasons(failures)))
		}
	}
	if len(failed) > 0 {
		reasons := append(failed, res.Reason)
		if res.Verdict != v1alpha1.VerdictFail {
			reasons = failed
		}
		res.Verdict, res.Reason = v1alpha1.VerdictFail, strings.Join(reasons, "; ")
	}
	return res
}

// AskRollback asks the rollback hooks; a yes is an abort command, once per
// time asked.
func (s Stages) AskRollback(ctx context.Context, rel *v1alpha1.Release, now time.Time) *engine.Command {
	if !Has(rel, v1alpha1.WebhookRollback) {
		return nil
	}
	if yes, asking := s.Caller.RollbackRequested(ctx, rel.Spec.Webhooks, payloadOf(rel, v1alpha1.WebhookRollback, "roll back?")); yes {
		return &engine.Command{ID: fmt.Sprintf("rollback-webhook-%d", now.UnixNano()), Kind: engine.CommandAbort, Detail: "rollback webhook " + names(asking) + " asked for it"}
	}
	return nil
}

func names(results []Result) string {
	out := make([]string, 0, len(results))
	for _, r := range results {
		out = append(out, r.Name)
	}
	return strings.Join(out, ", ")
}

// Confirm asks the confirm-promotion hooks once every step is done, and
// sets what the engine's gate reads.
func (s Stages) Confirm(ctx context.Context, rel *v1alpha1.Release, obs *engine.Observation) {
	if !Has(rel, v1alpha1.WebhookConfirmPromotion) {
		return
	}
	ok, failures := s.Caller.Run(ctx, rel.Spec.Webhooks, v1alpha1.WebhookConfirmPromotion, payloadOf(rel, v1alpha1.WebhookConfirmPromotion, "confirm promotion"))
	obs.PromotionConfirmed = ok
	if !ok {
		obs.HoldPromotion = "confirm-promotion webhook said no: " + reasons(failures)
	}
}

// Announce sends every decision to the event hooks, and the end of a
// release to the post-rollout ones, without waiting for them.
func (s Stages) Announce(ctx context.Context, rel *v1alpha1.Release, events []engine.Event) {
	for _, ev := range events {
		if Has(rel, v1alpha1.WebhookEvent) {
			p := payloadOf(rel, v1alpha1.WebhookEvent, ev.Message())
			p.Reason = string(ev.Reason)
			s.Caller.Notify(ctx, rel.Spec.Webhooks, v1alpha1.WebhookEvent, p)
		}
		if ev.To.Terminal() && ev.From != ev.To && Has(rel, v1alpha1.WebhookPostRollout) {
			p := payloadOf(rel, v1alpha1.WebhookPostRollout, ev.Message())
			p.Reason = string(ev.Reason)
			s.Caller.Notify(ctx, rel.Spec.Webhooks, v1alpha1.WebhookPostRollout, p)
		}
	}
}

// Has reports whether the release has a webhook of the type.
func Has(rel *v1alpha1.Release, typ v1alpha1.WebhookType) bool {
	for _, h := range rel.Spec.Webhooks {
		if h.Type == typ {
			return true
		}
	}
	return false
}

func payloadOf(rel *v1alpha1.Release, typ v1alpha1.WebhookType, message string) Payload {
	return Payload{
		Name: rel.Name, Namespace: rel.Namespace, Phase: string(rel.Status.Phase), Type: typ,
		CanaryWeight: rel.Status.CanaryWeight, StepIndex: rel.Status.StepIndex,
		Revision: rel.Status.CanaryRevision, Message: message,
	}
}

func reasons(results []Result) string {
	out := make([]string, 0, len(results))
	for _, r := range results {
		out = append(out, fmt.Sprintf("%s: %s", r.Name, r.Message))
	}
	return strings.Join(out, "; ")
}
