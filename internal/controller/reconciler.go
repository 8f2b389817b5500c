package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/internal/telemetry"
)

// EventRecorder records Kubernetes Events for a release's decisions.
type EventRecorder interface {
	Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Reconciler is the Kubernetes shell: it keeps each Release's memory in
// .status and schedules its ticks; the release layer decides.
type Reconciler struct {
	Client client.Client
	// Reader reads releases past the cache: .status is the release's
	// memory, and deciding from a stale copy could apply a step twice.
	// Nil uses Client.
	Reader   client.Reader
	Recorder EventRecorder
	Parts    Parts
	Clock    Clock
	// MaxTick bounds how long an active release waits between two ticks.
	MaxTick time.Duration
	// JudgeEvery is how often the statistical judge reads Prometheus
	// between checks; 0 means DefaultJudgeEvery, negative only at checks.
	JudgeEvery time.Duration
	// Telemetry records Sluice's own metrics; nil records nothing.
	Telemetry *telemetry.Recorder
	// Alerts sends spec.alerts; nil sends nothing.
	Alerts Alerter
	// Interrupts lets an abort cut short a tick waiting on a webhook.
	Interrupts release.Interrupts
}

// Reconcile runs one tick of a release.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	stalled, gone := false, false
	defer func() {
		if !gone {
			r.Telemetry.ObserveReconcile(req.Namespace, req.Name, telemetry.ResultOf(err, stalled))
		}
	}()
	reader := r.Reader
	if reader == nil {
		reader = r.Client
	}
	var stored v1alpha1.Release
	if err := reader.Get(ctx, req.NamespacedName, &stored); err != nil {
		if apierrors.IsNotFound(err) {
			gone = true
			r.Telemetry.Forget(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("reading release: %w", err)
	}
	if !stored.DeletionTimestamp.IsZero() {
		gone = true
		r.Telemetry.Forget(req.Namespace, req.Name)
		return ctrl.Result{}, r.finalize(ctx, &stored)
	}
	if !controllerutil.ContainsFinalizer(&stored, Finalizer) {
		patched := stored.DeepCopy()
		controllerutil.AddFinalizer(patched, Finalizer)
		if err := r.Client.Patch(ctx, patched, client.MergeFrom(&stored)); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
		stored = *patched
	}

	now := r.Clock.Now()
	out, err := r.loop(&stored).Tick(ctx, &stored, release.Input{Now: now, Command: parseCommand(stored.Annotations[CommandAnnotation])})
	var se *release.StalledError
	switch {
	case errors.As(err, &se):
		stalled = true
		if se.Reason == release.StallMissingReference {
			// A person must fix a reference; watches bring us back, and a
			// slow retry covers objects we do not watch.
			return ctrl.Result{RequeueAfter: 10 * time.Second}, nil
		}
		return ctrl.Result{}, nil
	case errors.Is(err, release.ErrInterrupted):
		// The change that interrupted it queued the release again already;
		// a short requeue makes sure the abort is applied at once.
		return ctrl.Result{RequeueAfter: 10 * time.Millisecond}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.next(out.Plan, out.Status, now)}, nil
}

// loop is the release layer's loop for one stored release: its status is
// patched onto that object, its decisions become Events, alerts and
// metrics.
func (r *Reconciler) loop(stored *v1alpha1.Release) *release.Loop {
	return &release.Loop{
		Build:      r.Parts.Build,
		Store:      statusStore{r.Client},
		Interrupts: &r.Interrupts,
		JudgeEvery: r.judgeEvery(),
		Recorders: []release.Recorder{
			release.RecorderFunc(func(ctx context.Context, rec release.Record) { r.recordEvents(ctx, stored, rec) }),
			release.RecorderFunc(func(ctx context.Context, rec release.Record) {
				r.alert(ctx, stored, rec.Release, rec.Events, rec.Now)
			}),
			release.RecorderFunc(func(_ context.Context, rec release.Record) {
				r.Telemetry.Observe(rec.Release, rec.Events, rec.Now)
				if rec.Judge != nil {
					r.Telemetry.ObserveJudge(rec.Release.Namespace, rec.Release.Name, *rec.Judge)
				}
			}),
		},
	}
}

// Finalizer lets Sluice give back the replicas it took before a release
// is deleted.
const Finalizer = "sluice.dev/finalizer"

// finalize restores the workloads of a deleted release, then lets it go.
func (r *Reconciler) finalize(ctx context.Context, stored *v1alpha1.Release) error {
	if !controllerutil.ContainsFinalizer(stored, Finalizer) {
		return nil
	}
	rel := stored.DeepCopy()
	rel.Default()
	if rel.Spec.Workload.Local == nil {
		f, err := r.Parts.Finalizer(rel)
		if err == nil {
			err = f.Finalize(ctx)
		}
		if _, isConfig := kubeerr.AsConfig(err); err != nil && !isConfig {
			return fmt.Errorf("finalizing workloads: %w", err)
		}
	}
	patched := stored.DeepCopy()
	controllerutil.RemoveFinalizer(patched, Finalizer)
	if err := r.Client.Patch(ctx, patched, client.MergeFrom(stored)); err != nil {
		return fmt.Errorf("removing finalizer: %w", err)
	}
	return nil
}

// DefaultMaxTick is how long an active release waits at most between two
// looks, for what no watch reports (routers, Prometheus).
const DefaultMaxTick = 2 * time.Second

// next is when an active release must be looked at again: at the next
// check, at the end of a timed pause, and at least every MaxTick. Ended and
// waiting releases are woken by watches only.
func (r *Reconciler) next(plan engine.Plan, st v1alpha1.ReleaseStatus, now time.Time) time.Duration {
	switch st.Phase {
	case v1alpha1.PhasePromoted, v1alpha1.PhaseRolledBack, v1alpha1.PhaseWaiting:
		return 0
	}
	tick := r.MaxTick
	if tick <= 0 {
		tick = DefaultMaxTick
	}
	if last := st.Analysis.LastCheckAt; last != nil && plan.HasChecks {
		tick = min(tick, last.Add(plan.Interval).Sub(now))
	}
	if i := int(st.StepIndex); i < len(plan.Steps) && plan.Steps[i].Kind == engine.StepPause && plan.Steps[i].Duration > 0 && st.StepStartedAt != nil {
		tick = min(tick, st.StepStartedAt.Add(plan.Steps[i].Duration).Sub(now))
	}
	return max(tick, 50*time.Millisecond)
}

// DefaultJudgeEvery is how often the controller reads the judge between
// checks: a failing canary is rolled back within about this long, not a
// whole analysis interval later. The ticks of an active release (at most
// MaxTick apart) carry the readings.
const DefaultJudgeEvery = 10 * time.Second

func (r *Reconciler) judgeEvery() time.Duration {
	if r.JudgeEvery == 0 {
		return DefaultJudgeEvery
	}
	return r.JudgeEvery
}

// statusStore keeps a release's status in .status.
type statusStore struct{ c client.Client }

var _ release.Store = statusStore{}

// Save patches .status when it changed: a merge patch of the status
// subresource only, so spec and metadata are never written. The
// optimistic lock refuses the patch if another writer changed the release
// since it was read; the next reconcile decides again.
func (s statusStore) Save(ctx context.Context, rel *v1alpha1.Release, st v1alpha1.ReleaseStatus) error {
	if equality.Semantic.DeepEqual(rel.Status, st) {
		return nil
	}
	patched := rel.DeepCopy()
	patched.Status = st
	if err := s.c.Status().Patch(ctx, patched, client.MergeFromWithOptions(rel, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("saving status of %s/%s: %w", rel.Namespace, rel.Name, err)
	}
	return nil
}
