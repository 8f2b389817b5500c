package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/telemetry"
)

// EventRecorder records Kubernetes Events for a release's decisions.
type EventRecorder interface {
	Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Reconciler runs the engine for each Release.
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
	// Telemetry records Sluice's own metrics; nil records nothing.
	Telemetry *telemetry.Recorder
	// Alerts sends spec.alerts; nil sends nothing.
	Alerts Alerter
}

// Reconcile observes, decides, acts and records for one release.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	log := logf.FromContext(ctx)
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
	rel := stored.DeepCopy()
	rel.Default() // in memory: the stored spec stays as the user wrote it

	if errs := rel.Validate(); len(errs) > 0 {
		stalled = true
		return ctrl.Result{}, r.stall(ctx, &stored, "InvalidSpec", v1alpha1.FormatError(errs[0]))
	}
	if rel.Spec.Workload.Local != nil {
		stalled = true
		return ctrl.Result{}, r.stall(ctx, &stored, "InvalidSpec", "spec.workload.local: local releases run with `sluice run`, not in a cluster")
	}
	t, err := r.observe(ctx, rel)
	if err != nil {
		var ce *kubeerr.ConfigError
		if errors.As(err, &ce) {
			// A person must fix a reference; watches bring us back, and a
			// slow retry covers objects we do not watch.
			stalled = true
			return ctrl.Result{RequeueAfter: 10 * time.Second}, r.stall(ctx, &stored, "MissingReference", ce.Error())
		}
		return ctrl.Result{}, err
	}

	res := engine.Step(t.plan, rel.Status, t.obs)
	res.Status.ObservedGeneration = rel.Generation
	keepJudge(&res.Status, t.judge.status)
	if err := r.act(ctx, t, res); err != nil {
		var ce *kubeerr.ConfigError
		if errors.As(err, &ce) {
			stalled = true
			return ctrl.Result{RequeueAfter: 10 * time.Second}, r.stall(ctx, &stored, "MissingReference", ce.Error())
		}
		return ctrl.Result{}, err
	}
	setStalled(&res.Status, false, "", "", t.obs.Now)
	if err := r.saveStatus(ctx, &stored, res.Status); err != nil {
		return ctrl.Result{}, err
	}
	for _, ev := range res.Events {
		typ := corev1.EventTypeNormal
		if ev.Warning {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(&stored, nil, typ, ev.Reason, "Decide", "%s", ev.Message)
		log.Info(ev.Message, "reason", ev.Reason, "phase", res.Status.Phase)
	}
	r.Parts.Hooks().Announce(ctx, rel, res.Events)
	rel.Status = res.Status
	r.alert(ctx, &stored, rel, res.Events, t.obs.Now)
	r.Telemetry.Observe(rel, res.Events, t.obs.Now)
	if v := t.judge.verdict; v != nil {
		r.Telemetry.ObserveJudge(rel.Namespace, rel.Name, *v)
	}
	return ctrl.Result{RequeueAfter: r.next(t.plan, res.Status, t.obs.Now)}, nil
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
		wl, err := r.Parts.Workload(rel)
		if err == nil {
			err = wl.Finalize(ctx)
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

// stall records that the release cannot go on without a person's change:
// condition Stalled with the field path, Ready False, a warning Event.
func (r *Reconciler) stall(ctx context.Context, stored *v1alpha1.Release, reason, msg string) error {
	st := *stored.Status.DeepCopy()
	st.ObservedGeneration = stored.Generation
	st.Message = msg
	now := r.Clock.Now()
	was := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled)
	setStalled(&st, true, reason, msg, now)
	if err := r.saveStatus(ctx, stored, st); err != nil {
		return err
	}
	r.Recorder.Eventf(stored, nil, corev1.EventTypeWarning, reason, "Validate", "%s", msg)
	if was == nil || was.Status != metav1.ConditionTrue || was.Message != msg {
		// News once per new stall, not at every retry.
		rel := stored.DeepCopy()
		rel.Status = st
		r.alert(ctx, stored, rel, []engine.Event{{Reason: reason, Message: msg, Warning: true}}, now)
	}
	return nil
}

// saveStatus patches .status when it changed; a merge patch of the status
// subresource only, so spec and metadata are never written.
func (r *Reconciler) saveStatus(ctx context.Context, stored *v1alpha1.Release, st v1alpha1.ReleaseStatus) error {
	if equality.Semantic.DeepEqual(stored.Status, st) {
		return nil
	}
	patched := stored.DeepCopy()
	patched.Status = st
	// The optimistic lock refuses the patch if another writer changed the
	// release since it was read; the next reconcile decides again.
	if err := r.Client.Status().Patch(ctx, patched, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("saving status of %s/%s: %w", stored.Namespace, stored.Name, err)
	}
	return nil
}
