package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// deploymentIndex indexes releases by the Deployments they refer to, so a
// new image in a Deployment wakes its release at once.
const deploymentIndex = "spec.workload.deployment"

// referencedDeployments are the user's Deployments a release watches.
func referencedDeployments(o client.Object) []string {
	rel, ok := o.(*v1alpha1.Release)
	if !ok {
		return nil
	}
	w := rel.Spec.Workload
	switch {
	case w.Target != nil:
		return []string{w.Target.Deployment}
	case w.Deployments != nil:
		return []string{w.Deployments.Stable, w.Deployments.Canary}
	}
	return nil
}

// SetupWithManager registers the reconciler: it watches releases (spec
// changes and the command annotation), the Deployments Sluice owns, and the
// user's Deployments the releases name.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Release{}, deploymentIndex, referencedDeployments); err != nil {
		return fmt.Errorf("indexing releases: %w", err)
	}
	err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Release{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&appsv1.Deployment{}).
		Watches(&appsv1.Deployment{}, handler.EnqueueRequestsFromMapFunc(r.releasesOf)).
		Watches(&v1alpha1.Release{}, handler.Funcs{UpdateFunc: r.interruptOnAbort}).
		Named("release").
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the release controller: %w", err)
	}
	return nil
}

// releasesOf maps a Deployment to the releases that name it.
func (r *Reconciler) releasesOf(ctx context.Context, o client.Object) []reconcile.Request {
	var list v1alpha1.ReleaseList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{deploymentIndex: o.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, rel := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rel.Namespace, Name: rel.Name}})
	}
	return reqs
}

// interruptOnAbort cuts short the tick in flight of a release that was
// just aborted: a rollout webhook may hold it for its whole timeout, and
// an abort must not wait. The interrupted tick decides nothing; the next
// one, queued by the same change, applies the abort.
func (r *Reconciler) interruptOnAbort(_ context.Context, e event.UpdateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	cmd := parseCommand(e.ObjectNew.GetAnnotations()[CommandAnnotation])
	if cmd == nil || cmd.Kind != engine.CommandAbort || e.ObjectOld.GetAnnotations()[CommandAnnotation] == cmd.ID {
		return
	}
	r.Interrupts.Interrupt(release.Key(e.ObjectNew.GetNamespace(), e.ObjectNew.GetName()))
}
