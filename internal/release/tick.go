package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/kubeerr"
)

// Parts are one release's parts, as a shell builds them for its world.
type Parts struct {
	Workload Workload
	Router   Router
	// Metrics builds the metrics source for the versions seen, on first
	// use in a tick; nil means the release reads no metrics.
	Metrics func(Versions) (Metrics, error)
	Hooks   Hooks
}

// Loop is what a shell gives the tick besides the parts: where the status
// is kept, who hears the decisions, and how to build the parts.
type Loop struct {
	// Build makes the parts of a (defaulted, valid) release. A
	// *kubeerr.ConfigError stalls the release with its field.
	Build func(rel *v1alpha1.Release) (Parts, error)
	Store Store
	// Recorders hear every tick's decisions once they are saved.
	Recorders []Recorder
	// JudgeEveryTick feeds the judge at every tick rather than at each
	// check: the local proxy's counts cost nothing to read, Prometheus'
	// do.
	JudgeEveryTick bool
	// JudgeEvery, when set, also feeds the judge between checks once its
	// last reading is this old: Prometheus' counts are cheap enough to read
	// every few seconds, and the judge's test stays valid at any reading.
	JudgeEvery time.Duration
	// Interrupts, when set, lets Interrupt(Key(rel)) cut short the hooks
	// of the tick in flight.
	Interrupts *Interrupts
}

// Key names a release for Interrupts: namespace/name.
func Key(namespace, name string) string { return namespace + "/" + name }

// Input is what the shell knows before a tick.
type Input struct {
	Now time.Time
	// Command is a person's pending command, or nil. Commands act at once:
	// a tick with a new command runs no hooks and no checks.
	Command *engine.Command
}

// Outcome is what one tick decided and did.
type Outcome struct {
	Plan     engine.Plan
	Status   v1alpha1.ReleaseStatus
	Desired  engine.Desired
	Events   []engine.Event
	Versions Versions
	// Judge is the judge's reading of this tick, if it took one.
	Judge *analysis.JudgeVerdict
}

// ErrInterrupted ends a tick whose hooks were cut short by Interrupts (an
// abort arrived): nothing was decided or saved, and the shell ticks again
// at once to apply the abort.
var ErrInterrupted = errors.New("tick interrupted by a command")

// Tick is one turn of a release, the same for both shells: observe the
// versions and the router; take a person's command; feed the judge; run
// the due check with its hooks; ask the gates; let the engine decide; act
// on the workload and the router; save; then tell the recorders. rel is
// the release as stored, with the status of the last tick.
func (l *Loop) Tick(ctx context.Context, rel *v1alpha1.Release, in Input) (*Outcome, error) {
	rel = rel.DeepCopy()
	rel.Default()
	if errs := rel.Validate(); len(errs) > 0 {
		return nil, l.stall(ctx, rel, in.Now, StallInvalidSpec, v1alpha1.FormatError(errs[0]))
	}
	plan := engine.NewPlan(rel.Spec)
	if err := engine.CheckStatus(plan, rel.Status); err != nil {
		return nil, l.stall(ctx, rel, in.Now, StallStatusMismatch, err.Error())
	}
	parts, err := l.Build(rel)
	if err != nil {
		return nil, l.stallOn(ctx, rel, in.Now, err)
	}
	t := &turn{loop: l, rel: rel, parts: parts, plan: plan, now: in.Now}
	if err := t.observe(ctx, in.Command); err != nil {
		return nil, l.stallOn(ctx, rel, in.Now, err)
	}
	if err := t.gatherInterruptibly(ctx); err != nil {
		return nil, err
	}
	res, err := engine.Step(plan, rel.Status, t.obs)
	if err != nil {
		return nil, l.stallOn(ctx, rel, in.Now, err)
	}
	res.Status.ObservedGeneration = rel.Generation
	keepJudge(&res.Status, t.judge.status)
	setStalled(&res.Status, false, "", "", in.Now)
	if err := t.act(ctx, res); err != nil {
		return nil, l.stallOn(ctx, rel, in.Now, err)
	}
	if err := l.Store.Save(ctx, rel, res.Status); err != nil {
		return nil, fmt.Errorf("saving the status: %w", err)
	}
	rel.Status = res.Status
	if parts.Hooks != nil {
		parts.Hooks.Announce(ctx, rel, res.Events)
	}
	l.record(ctx, Record{Release: rel, Events: res.Events, Now: in.Now, Judge: t.judge.verdict})
	return &Outcome{Plan: plan, Status: res.Status, Desired: res.Desired, Events: res.Events, Versions: t.versions, Judge: t.judge.verdict}, nil
}

// turn carries one tick.
type turn struct {
	loop     *Loop
	rel      *v1alpha1.Release
	parts    Parts
	plan     engine.Plan
	now      time.Time
	versions Versions
	obs      engine.Observation
	judge    judgeTick
	fresh    bool

	metrics    Metrics
	metricsErr error
	built      bool
}

// observe reads the versions and the router.
func (t *turn) observe(ctx context.Context, cmd *engine.Command) error {
	vs, err := t.parts.Workload.Observe(ctx)
	if err != nil {
		return fmt.Errorf("observing the versions: %w", err)
	}
	weight, err := t.parts.Router.Weight(ctx)
	if err != nil {
		return fmt.Errorf("reading the weights: %w", err)
	}
	t.versions = vs
	t.obs = engine.Observation{
		Now:            t.now,
		StableRevision: vs.StableRevision, CanaryRevision: vs.CanaryRevision,
		StableReady: vs.StableReady, CanaryReady: vs.CanaryReady,
		RouterWeight: &weight,
		Paused:       t.rel.Spec.Paused,
		Command:      cmd,
	}
	t.fresh = cmd != nil && cmd.ID != "" && cmd.ID != t.rel.Status.LastCommand
	return nil
}

// gatherInterruptibly runs gather under Interrupts: only the hooks and
// checks can be cut short, never an action or a save.
func (t *turn) gatherInterruptibly(ctx context.Context) error {
	if t.loop.Interrupts == nil {
		return t.gather(ctx)
	}
	gctx, end := t.loop.Interrupts.Begin(ctx, Key(t.rel.Namespace, t.rel.Name))
	defer end()
	return t.gather(gctx)
}

// gather feeds the judge, runs the due check with its hooks and asks the
// gates, unless a person's command is there: a command acts at once, and
// an abort must never wait for a slow hook.
func (t *turn) gather(ctx context.Context) error {
	if t.fresh {
		// Keep the judge's memory as it was; it reads again next tick.
		t.judge = judgeTick{status: t.rel.Status.Analysis.Judge}
		return nil
	}
	st := t.rel.Status
	due := engine.CheckDue(t.plan, st, t.now)
	t.judge = t.readJudge(ctx, due || t.loop.JudgeEveryTick || t.judgeDue())
	t.obs.Judge = t.judge.result
	if due {
		c := t.check(ctx)
		if t.parts.Hooks != nil {
			c = t.parts.Hooks.AddToCheck(ctx, t.rel, c)
			if abort := t.parts.Hooks.AskRollback(ctx, t.rel, t.now); abort != nil {
				t.obs.Command = abort
			}
		}
		t.obs.Check = &c
	}
	active := st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused
	if f, ok := t.parts.Router.(Failures); ok {
		if reason := f.CanaryFailure(); reason != "" && active {
			t.obs.Check = canaryFailed(reason)
		}
	}
	if active && int(st.StepIndex) >= len(t.plan.Steps) && t.parts.Hooks != nil {
		t.parts.Hooks.Confirm(ctx, t.rel, &t.obs)
	}
	if errors.Is(context.Cause(ctx), ErrInterrupted) {
		return ErrInterrupted
	}
	return nil
}

// source builds the metrics source once per tick.
func (t *turn) source() (Metrics, error) {
	if !t.built {
		t.built = true
		if t.parts.Metrics == nil {
			t.metricsErr = errors.New("this release reads no metrics")
		} else {
			t.metrics, t.metricsErr = t.parts.Metrics(t.versions)
			if t.metricsErr == nil && t.rel.Status.StartedAt != nil {
				t.metrics = sinceStart{Metrics: t.metrics, start: t.rel.Status.StartedAt.Time}
			}
		}
	}
	return t.metrics, t.metricsErr
}

// check runs the threshold metrics as one analysis check. A source that
// cannot be built is no data, never a pass.
func (t *turn) check(ctx context.Context) engine.CheckResult {
	specs := t.rel.Spec.Analysis.Metrics
	if len(specs) == 0 {
		return engine.CheckResult{Verdict: v1alpha1.VerdictPass, Reason: "no threshold metrics to check"}
	}
	src, err := t.source()
	if err != nil {
		return engine.CheckResult{Verdict: v1alpha1.VerdictNoData, Reason: "metrics: " + err.Error()}
	}
	return analysis.Check(ctx, src, specs, t.now)
}

// canaryFailed is the failed check a canary that stopped answering makes.
func canaryFailed(reason string) *engine.CheckResult {
	return &engine.CheckResult{
		Verdict: v1alpha1.VerdictFail, Reason: reason,
		Metrics: []v1alpha1.MetricStatus{{Name: "canary-reachable", Verdict: v1alpha1.VerdictFail, Message: reason}},
	}
}

// act brings the workload, then the router, to what the engine wants: a
// promotion hands stable the canary's revision before any weight moves
// back to it.
func (t *turn) act(ctx context.Context, res engine.Result) error {
	if err := t.parts.Workload.Apply(ctx, res.Desired, res.Status); err != nil {
		return fmt.Errorf("applying the versions: %w", err)
	}
	if err := t.parts.Router.Route(ctx, res.Desired.CanaryWeight, res.Desired.Match); err != nil {
		return fmt.Errorf("setting canary weight %d: %w", res.Desired.CanaryWeight, err)
	}
	return nil
}

// record tells every recorder, in order.
func (l *Loop) record(ctx context.Context, rec Record) {
	for _, r := range l.Recorders {
		r.Record(ctx, rec)
	}
}

// stallOn stalls the release when err is one only a person can fix (a
// config error, a status that does not fit), and returns other errors as
// they are, for the shell to retry.
func (l *Loop) stallOn(ctx context.Context, rel *v1alpha1.Release, now time.Time, err error) error {
	if ce, ok := kubeerr.AsConfig(err); ok {
		if ce.Object == "" {
			return l.stall(ctx, rel, now, StallInvalidSpec, ce.Error())
		}
		return l.stall(ctx, rel, now, StallMissingReference, ce.Error())
	}
	var se *engine.StatusError
	if errors.As(err, &se) {
		return l.stall(ctx, rel, now, StallStatusMismatch, se.Error())
	}
	return err
}
