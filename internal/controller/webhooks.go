package controller

import (
	"context"
	"fmt"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/hooks"
)

// webhooks adapts the hooks package to the controller's Hooks.
type webhooks struct{ caller *hooks.Caller }

var _ Hooks = webhooks{}

// NewWebhooks returns the controller's webhook runner.
func NewWebhooks(c *hooks.Caller) Hooks { return webhooks{caller: c} }

// Run calls every webhook of the type and says whether all answered 2xx.
func (w webhooks) Run(ctx context.Context, rel *v1alpha1.Release, typ v1alpha1.WebhookType, message string) (bool, string) {
	ok, failures := w.caller.Run(ctx, rel.Spec.Webhooks, typ, payload(rel, typ, message))
	return ok, reasons(failures)
}

// RollbackRequested says whether a rollback webhook answered 2xx.
func (w webhooks) RollbackRequested(ctx context.Context, rel *v1alpha1.Release, message string) (bool, string) {
	yes, asking := w.caller.RollbackRequested(ctx, rel.Spec.Webhooks, payload(rel, v1alpha1.WebhookRollback, message))
	return yes, reasons(asking)
}

// Notify sends to event and post-rollout webhooks without holding the
// reconcile.
func (w webhooks) Notify(ctx context.Context, rel *v1alpha1.Release, typ v1alpha1.WebhookType, message string) {
	w.caller.Notify(ctx, rel.Spec.Webhooks, typ, payload(rel, typ, message))
}

func payload(rel *v1alpha1.Release, typ v1alpha1.WebhookType, message string) hooks.Payload {
	return hooks.Payload{
		Name: rel.Name, Namespace: rel.Namespace, Phase: string(rel.Status.Phase), Type: typ,
		CanaryWeight: rel.Status.CanaryWeight, StepIndex: rel.Status.StepIndex,
		Revision: rel.Status.CanaryRevision, Message: message,
	}
}

func reasons(results []hooks.Result) string {
	out := make([]string, 0, len(results))
	for _, r := range results {
		out = append(out, fmt.Sprintf("%s: %s", r.Name, r.Message))
	}
	return strings.Join(out, "; ")
}
