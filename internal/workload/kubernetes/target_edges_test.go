package kubernetes

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/test/e2e/envtest"
)

func testTargetEdges(t *testing.T, env *envtest.Env) {
	c := env.Client

	// Flux applies the manifest server-side; with spec.replicas left out
	// of Git and the count in the annotation, the defaulted 1 must not win.
	t.Run("ReplicasFromGit", func(t *testing.T) {
		ctx := testCtx(t)
		ns := env.NewNamespace(t, "target-git")
		w := v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 8080}}
		rel := release(ctx, t, c, ns, "api", w)
		manifest := func(replicas *int32) *appsv1.Deployment {
			d := deployment(ns, "api", "api", "api:1.0", 0, nil)
			d.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
			d.Spec.Replicas = replicas
			d.Annotations = map[string]string{AnnotationReplicas: "4"}
			return d
		}
		gitops := func(d *appsv1.Deployment) {
			t.Helper()
			u, err := toUnstructured(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("flux"), client.ForceOwnership); err != nil {
				t.Fatalf("applying the manifest as flux: %v", err)
			}
		}
		gitops(manifest(nil))
		if got := replicasOf(getDep(ctx, t, c, ns, "api")); got != 1 {
			t.Fatalf("the API server defaulted replicas to %d, want 1", got)
		}
		drv, err := New(c, ns, rel.Name, w, rel)
		if err != nil {
			t.Fatal(err)
		}
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseInitializing, "")
		if got := replicasOf(getDep(ctx, t, c, ns, "api-primary")); got != 4 {
			t.Errorf("primary replicas = %d, want the 4 from the annotation in Git", got)
		}
		if got := replicasOf(getDep(ctx, t, c, ns, "api")); got != 1 {
			t.Errorf("target scaled to %d before the primary was ready; want its pod kept", got)
		}
		rollOut(ctx, t, c, ns, "api-primary")
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseWaiting, "")
		target := getDep(ctx, t, c, ns, "api")
		if replicasOf(target) != 0 || target.Annotations[AnnotationReplicas] != "4" {
			t.Errorf("target: %d replicas, annotation %q; want 0 and Git's \"4\"", replicasOf(target), target.Annotations[AnnotationReplicas])
		}

		// Re-applying the same manifest does not bring the pods back.
		gitops(manifest(nil))
		if got := replicasOf(getDep(ctx, t, c, ns, "api")); got != 0 {
			t.Errorf("flux re-applied the manifest: target replicas = %d, want 0 (not a field in Git)", got)
		}

		// Git now sets a count: it is recorded, the target goes back to 0.
		gitops(manifest(ptr.To[int32](5)))
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseWaiting, "")
		target = getDep(ctx, t, c, ns, "api")
		if replicasOf(target) != 0 || target.Annotations[AnnotationReplicas] != "5" {
			t.Errorf("target: %d replicas, annotation %q; want 0 and \"5\"", replicasOf(target), target.Annotations[AnnotationReplicas])
		}
		if got := replicasOf(getDep(ctx, t, c, ns, "api-primary")); got != 5 {
			t.Errorf("primary replicas = %d, want 5", got)
		}
	})

	t.Run("NotOurs", func(t *testing.T) {
		ctx := testCtx(t)
		ns, _, drv := gitTarget(t, env, "target-theirs")
		create(ctx, t, c, deployment(ns, "api-primary", "other", "other:1", 1, nil))
		_, err := drv.Observe(ctx)
		wantConfigError(t, err, fieldTarget)
		wantConfigError(t, drv.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{}), fieldTarget)
		if got := getDep(ctx, t, c, ns, "api-primary"); image(got) != "other:1" || len(got.OwnerReferences) != 0 {
			t.Error("the driver took over a Deployment that is not its own")
		}

		ns, _, drv = gitTarget(t, env, "target-theirs-svc")
		create(ctx, t, c, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api-canary"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
		})
		wantConfigError(t, drv.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{}), fieldTarget)
	})

	t.Run("Missing", func(t *testing.T) {
		ctx := testCtx(t)
		ns := env.NewNamespace(t, "target-missing")
		w := v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 80}}
		rel := release(ctx, t, c, ns, "api", w)
		drv, err := New(c, ns, rel.Name, w, rel)
		if err != nil {
			t.Fatal(err)
		}
		_, err = drv.Observe(ctx)
		wantConfigError(t, err, fieldTarget)
		wantConfigError(t, drv.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{}), fieldTarget)
		if err := drv.Finalize(ctx); err != nil {
			t.Errorf("Finalize without a target: %v, want nil so the Release can go", err)
		}

		// Services select by labels; a selector of expressions only cannot
		// be turned into one.
		d := deployment(ns, "api", "api", "api:1.0", 1, nil)
		d.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"api"}}}}
		create(ctx, t, c, d)
		_, err = drv.Observe(ctx)
		wantConfigError(t, err, fieldTarget)

		if _, err := New(c, ns, "api", w, nil); err == nil {
			t.Error("New for a target without an owner: no error")
		}
	})
}
