package controller

import (
	"context"
	"fmt"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// CommandAnnotation carries a person's command to the controller, as
// "<command>/<id>" (promote, promote-full, abort, retry). The id makes a
// command apply once: the engine remembers the last one in status.
const CommandAnnotation = "sluice.dev/command"

// tick is what one reconcile knows: the parts and what they showed.
type tick struct {
	plan     engine.Plan
	obs      engine.Observation
	workload Workload
	router   Router
	weight   int32
	judge    judgeTick
}

// observe builds the parts and the engine's observation.
func (r *Reconciler) observe(ctx context.Context, rel *v1alpha1.Release) (*tick, error) {
	wl, err := r.Parts.Workload(rel)
	if err != nil {
		return nil, err
	}
	rt, err := r.Parts.Router(rel)
	if err != nil {
		return nil, err
	}
	ws, err := wl.Observe(ctx)
	if err != nil {
		return nil, fmt.Errorf("observing workloads: %w", err)
	}
	weight, err := rt.Weight(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading weights: %w", err)
	}
	t := &tick{plan: engine.NewPlan(rel.Spec, wl.PromoteMode()), workload: wl, router: rt, weight: weight}
	t.obs = engine.Observation{
		Now:            r.Clock.Now(),
		StableRevision: ws.StableRevision, CanaryRevision: ws.CanaryRevision,
		StableReady: ws.StableReady, CanaryReady: ws.CanaryReady,
		RouterWeight: &weight,
		Paused:       rel.Spec.Paused,
		Command:      parseCommand(rel.Annotations[CommandAnnotation]),
	}
	st := rel.Status
	due := engine.CheckDue(t.plan, st, t.obs.Now)
	t.judge = r.judge(ctx, rel, ws, due, t.obs.Now)
	t.obs.Judge = t.judge.result
	if due {
		c := r.check(ctx, rel, ws, t.obs)
		t.obs.Check = &c
		if t.obs.Command == nil && has(rel, v1alpha1.WebhookRollback) {
			if yes, _ := r.Parts.Hooks().RollbackRequested(ctx, rel, "roll back?"); yes {
				t.obs.Command = &engine.Command{ID: fmt.Sprintf("rollback-webhook-%d", t.obs.Now.UnixNano()), Kind: engine.CommandAbort}
			}
		}
	}
	if int(st.StepIndex) >= len(t.plan.Steps) && (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused) {
		if has(rel, v1alpha1.WebhookConfirmPromotion) {
			ok, reason := r.Parts.Hooks().Run(ctx, rel, v1alpha1.WebhookConfirmPromotion, "confirm promotion")
			t.obs.PromotionConfirmed = ok
			if !ok {
				t.obs.HoldPromotion = "confirm-promotion webhook said no: " + reason
			}
		}
	}
	return t, nil
}

// check runs the threshold metrics and the pre-rollout and rollout
// webhooks as one analysis check. A failed webhook is a failed check.
func (r *Reconciler) check(ctx context.Context, rel *v1alpha1.Release, ws WorkloadState, obs engine.Observation) engine.CheckResult {
	var res engine.CheckResult
	if len(rel.Spec.Analysis.Metrics) > 0 {
		src, err := r.Parts.Metrics(rel, ws)
		if err != nil {
			return engine.CheckResult{Verdict: v1alpha1.VerdictNoData, Reason: "metrics: " + err.Error()}
		}
		res = analysis.Check(ctx, src, rel.Spec.Analysis.Metrics, obs.Now)
	} else {
		res = engine.CheckResult{Verdict: v1alpha1.VerdictPass, Reason: "no threshold metrics to check"}
	}
	a := rel.Status.Analysis
	types := []v1alpha1.WebhookType{v1alpha1.WebhookRollout}
	if a.PassedChecks+a.FailedChecks == 0 {
		types = []v1alpha1.WebhookType{v1alpha1.WebhookPreRollout, v1alpha1.WebhookRollout}
	}
	var failed []string
	for _, typ := range types {
		if !has(rel, typ) {
			continue
		}
		if ok, reason := r.Parts.Hooks().Run(ctx, rel, typ, "analysis check"); !ok {
			failed = append(failed, fmt.Sprintf("%s webhook failed: %s", typ, reason))
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

// act brings the router and the workloads to what the engine wants.
func (r *Reconciler) act(ctx context.Context, t *tick, res engine.Result) error {
	if res.Desired.CanaryWeight != t.weight {
		if err := t.router.SetWeight(ctx, res.Desired.CanaryWeight); err != nil {
			return fmt.Errorf("setting canary weight %d: %w", res.Desired.CanaryWeight, err)
		}
	}
	if err := t.workload.Apply(ctx, res.Desired, res.Status); err != nil {
		return fmt.Errorf("applying workloads: %w", err)
	}
	return nil
}

// runEventHooks sends every decision to the event webhooks, and the end of
// a release to the post-rollout ones.
func (r *Reconciler) runEventHooks(ctx context.Context, rel *v1alpha1.Release, res engine.Result) {
	for _, ev := range res.Events {
		if has(rel, v1alpha1.WebhookEvent) {
			r.Parts.Hooks().Notify(ctx, rel, v1alpha1.WebhookEvent, ev.Reason+": "+ev.Message)
		}
		if ev.To.Terminal() && ev.From != ev.To && has(rel, v1alpha1.WebhookPostRollout) {
			r.Parts.Hooks().Notify(ctx, rel, v1alpha1.WebhookPostRollout, string(ev.To)+": "+ev.Message)
		}
	}
}

func has(rel *v1alpha1.Release, typ v1alpha1.WebhookType) bool {
	for _, h := range rel.Spec.Webhooks {
		if h.Type == typ {
			return true
		}
	}
	return false
}

// parseCommand reads "<command>/<id>" from the command annotation.
func parseCommand(v string) *engine.Command {
	kind, id, ok := strings.Cut(v, "/")
	if !ok || id == "" {
		return nil
	}
	switch k := engine.CommandKind(kind); k {
	case engine.CommandPromote, engine.CommandPromoteFull, engine.CommandAbort, engine.CommandRetry:
		return &engine.Command{ID: v, Kind: k}
	}
	return nil
}
