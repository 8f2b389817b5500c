package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"

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
	// The checks and the judge read the same source, built once per tick.
	metrics := sync.OnceValues(func() (analysis.Source, error) { return r.Parts.Metrics(rel, ws) })
	t.judge = r.judge(ctx, rel, metrics, due, t.obs.Now)
	t.obs.Judge = t.judge.result
	if due {
		c := r.Parts.Hooks().AddToCheck(ctx, rel, r.check(ctx, rel, metrics, t.obs))
		t.obs.Check = &c
		if t.obs.Command == nil {
			t.obs.Command = r.Parts.Hooks().AskRollback(ctx, rel, t.obs.Now)
		}
	}
	if int(st.StepIndex) >= len(t.plan.Steps) && (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused) {
		r.Parts.Hooks().Confirm(ctx, rel, &t.obs)
	}
	return t, nil
}

// metricsSource builds a release's metrics source when first asked.
type metricsSource func() (analysis.Source, error)

// check runs the threshold metrics as one analysis check.
func (r *Reconciler) check(ctx context.Context, rel *v1alpha1.Release, metrics metricsSource, obs engine.Observation) engine.CheckResult {
	if len(rel.Spec.Analysis.Metrics) == 0 {
		return engine.CheckResult{Verdict: v1alpha1.VerdictPass, Reason: "no threshold metrics to check"}
	}
	src, err := metrics()
	if err != nil {
		return engine.CheckResult{Verdict: v1alpha1.VerdictNoData, Reason: "metrics: " + err.Error()}
	}
	return analysis.Check(ctx, src, rel.Spec.Analysis.Metrics, obs.Now)
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
