package release

import (
	"context"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// Workload runs the two versions: Kubernetes Deployments, or local
// processes and URLs.
type Workload interface {
	// Observe reports both versions' revisions and readiness.
	Observe(ctx context.Context) (Versions, error)
	// Apply brings the versions to what the engine wants; st is the status
	// the engine just decided, which tells a finished rollback or promotion
	// from one under way. It is called on every tick and must be idempotent.
	Apply(ctx context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error
}

// Versions is what a Workload saw of the two versions.
type Versions struct {
	StableRevision, CanaryRevision string
	StableReady, CanaryReady       bool
	// StableName and CanaryName are the workloads running each version,
	// for metric queries and for people.
	StableName, CanaryName string
}

// Router splits traffic between stable and canary.
type Router interface {
	// Weight is the canary weight the traffic object holds now.
	Weight(ctx context.Context) (int32, error)
	// Route sends weight percent to the canary and the rest to stable;
	// with match, the release's match rules also send every request they
	// match to the canary, and without, no rule is left in place. It is
	// called on every tick, and a call that changes nothing writes nothing.
	Route(ctx context.Context, weight int32, match bool) error
}

// Failures is a Router that sees the canary fail outright (it stopped
// answering and was ejected): such news fails a check at once, since an
// ejected canary gets no traffic and its metrics would only say no data.
type Failures interface {
	// CanaryFailure returns a new failure since the last call, or "".
	CanaryFailure() string
}

// Metrics are what the checks and the judge read.
type Metrics interface {
	analysis.Source
	// Counts are a version's cumulative request, error and latency-bucket
	// counts, and the buckets' upper bounds in seconds.
	Counts(ctx context.Context, version string, now time.Time) (analysis.ArmSample, []float64, error)
}

// Hooks run a release's webhooks at the engine's points.
type Hooks interface {
	// AddToCheck folds the pre-rollout and rollout hooks into a check.
	AddToCheck(ctx context.Context, rel *v1alpha1.Release, res engine.CheckResult) engine.CheckResult
	// AskRollback asks the rollback hooks; a yes is an abort command.
	AskRollback(ctx context.Context, rel *v1alpha1.Release, now time.Time) *engine.Command
	// Confirm asks the confirm-promotion hooks and sets the gate in obs.
	Confirm(ctx context.Context, rel *v1alpha1.Release, obs *engine.Observation)
	// Announce sends decisions to the event and post-rollout hooks,
	// without waiting for them.
	Announce(ctx context.Context, rel *v1alpha1.Release, events []engine.Event)
}

// Store persists a release's status: .status on Kubernetes, the state
// file locally. It is the shell's memory; Tick calls it once per tick
// before anyone hears of the decisions.
type Store interface {
	Save(ctx context.Context, rel *v1alpha1.Release, st v1alpha1.ReleaseStatus) error
}

// Record is what a Recorder hears after a tick was saved.
type Record struct {
	// Release carries the status just saved.
	Release *v1alpha1.Release
	Events  []engine.Event
	Now     time.Time
	// Judge is the judge's reading of this tick, if it took one.
	Judge *analysis.JudgeVerdict
}

// Recorder hears each tick's decisions: logs, Kubernetes Events, alerts,
// Sluice's own metrics, a live view. It must not block.
type Recorder interface {
	Record(ctx context.Context, rec Record)
}

// RecorderFunc makes a function a Recorder.
type RecorderFunc func(ctx context.Context, rec Record)

// Record calls f.
func (f RecorderFunc) Record(ctx context.Context, rec Record) { f(ctx, rec) }

var _ Recorder = RecorderFunc(nil)
