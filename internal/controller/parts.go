package controller

import (
	"context"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// Router sets and reads the canary weight in the user's traffic object.
type Router interface {
	SetWeight(ctx context.Context, canaryWeight int32) error
	Weight(ctx context.Context) (int32, error)
}

// Workload observes the two versions and carries out what the engine wants.
type Workload interface {
	Observe(ctx context.Context) (WorkloadState, error)
	Apply(ctx context.Context, d engine.Desired, st v1alpha1.ReleaseStatus) error
	PromoteMode() engine.PromoteMode
	// Finalize gives back what Sluice took (replicas) when a release is
	// deleted, so deleting it never leaves a service without pods.
	Finalize(ctx context.Context) error
}

// WorkloadState is what the engine needs to know of the workloads.
type WorkloadState struct {
	StableRevision, CanaryRevision string
	StableReady, CanaryReady       bool
	// StableName and CanaryName are the Deployments, for people.
	StableName, CanaryName string
}

// Hooks runs a release's webhooks at the engine's points (hooks.Stages).
type Hooks interface {
	// AddToCheck folds the pre-rollout and rollout hooks into a check.
	AddToCheck(ctx context.Context, rel *v1alpha1.Release, res engine.CheckResult) engine.CheckResult
	// AskRollback asks the rollback hooks; yes is an abort command.
	AskRollback(ctx context.Context, rel *v1alpha1.Release, now time.Time) *engine.Command
	// Confirm asks the confirm-promotion hooks and sets the gate in obs.
	Confirm(ctx context.Context, rel *v1alpha1.Release, obs *engine.Observation)
	// Announce sends decisions to event and post-rollout hooks.
	Announce(ctx context.Context, rel *v1alpha1.Release, events []engine.Event)
}

// Parts builds the parts for one release; the real implementation talks to
// the cluster, Prometheus and webhooks.
type Parts interface {
	Workload(rel *v1alpha1.Release) (Workload, error)
	Router(rel *v1alpha1.Release) (Router, error)
	Metrics(rel *v1alpha1.Release, ws WorkloadState) (analysis.Source, error)
	Hooks() Hooks
}

// Clock is the time source, injected so tests control it.
type Clock interface{ Now() time.Time }
