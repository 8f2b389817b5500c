package kubernetes

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/test/e2e/envtest"
)

// handMade creates the hand-made Istio setup's two Deployments: api-v1
// (3 replicas) and api-v2 (2 replicas), labelled version: v1 / v2.
func handMade(t *testing.T, env *envtest.Env, prefix string) (string, *Deployments) {
	t.Helper()
	ctx := testCtx(t)
	ns := env.NewNamespace(t, prefix)
	create(ctx, t, env.Client, deployment(ns, "api-v1", "api", "api:1.0", 3, map[string]string{"version": "v1"}))
	create(ctx, t, env.Client, deployment(ns, "api-v2", "api", "api:2.0", 2, map[string]string{"version": "v2"}))
	drv, err := New(env.Client, ns, "api", v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ns, drv.(*Deployments)
}

func testDeployments(t *testing.T, env *envtest.Env) {
	c := env.Client

	t.Run("Observe", func(t *testing.T) {
		ctx := testCtx(t)
		ns, drv := handMade(t, env, "dep-observe")
		o, err := drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v1, v2 := getDep(ctx, t, c, ns, "api-v1"), getDep(ctx, t, c, ns, "api-v2")
		wantStable, _ := ContentRevision(v1.Spec.Template)
		wantCanary, _ := ContentRevision(v2.Spec.Template)
		if o.StableRevision != wantStable || o.CanaryRevision != wantCanary || o.StableRevision == o.CanaryRevision {
			t.Errorf("revisions = %s/%s, want %s/%s (different)", o.StableRevision, o.CanaryRevision, wantStable, wantCanary)
		}
		if o.StableReady || o.CanaryReady {
			t.Errorf("ready = %v/%v before any replica is available, want false/false", o.StableReady, o.CanaryReady)
		}
		if o.StableName != "api-v1" || o.CanaryName != "api-v2" {
			t.Errorf("names = %s/%s", o.StableName, o.CanaryName)
		}

		rollOut(ctx, t, c, ns, "api-v1")
		rollOut(ctx, t, c, ns, "api-v2")
		o, err = drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !o.StableReady || !o.CanaryReady {
			t.Errorf("ready = %v/%v after the roll-out, want true/true", o.StableReady, o.CanaryReady)
		}
		if want := (ReplicaCounts{Desired: 3, Ready: 3, Updated: 3, Available: 3}); o.StableReplicas != want {
			t.Errorf("stable replicas = %+v, want %+v", o.StableReplicas, want)
		}

		// A new image: a new revision, not ready until the Deployment
		// controller has observed the new generation.
		v2 = getDep(ctx, t, c, ns, "api-v2")
		v2.Spec.Template.Spec.Containers[0].Image = "api:2.1"
		if err := c.Update(ctx, v2); err != nil {
			t.Fatal(err)
		}
		o2, err := drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o2.CanaryRevision == o.CanaryRevision || o2.StableRevision != o.StableRevision {
			t.Errorf("after a new canary image: revisions %s/%s, were %s/%s", o2.StableRevision, o2.CanaryRevision, o.StableRevision, o.CanaryRevision)
		}
		if o2.CanaryReady {
			t.Error("canary ready before its new generation was observed")
		}
	})

	t.Run("ScaleCanaryDownAndUp", func(t *testing.T) {
		ctx := testCtx(t)
		ns, drv := handMade(t, env, "dep-scale")
		before := getDep(ctx, t, c, ns, "api-v2")

		// Before any release the user's canary is left as it is.
		if err := drv.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseInitializing}); err != nil {
			t.Fatal(err)
		}
		if got := getDep(ctx, t, c, ns, "api-v2"); got.ResourceVersion != before.ResourceVersion {
			t.Errorf("Initializing changed the canary: replicas %d", replicasOf(got))
		}
		// Nor while a rollback is still moving traffic off it.
		if err := drv.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRollingBack}); err != nil {
			t.Fatal(err)
		}
		if got := getDep(ctx, t, c, ns, "api-v2"); replicasOf(got) != 2 {
			t.Errorf("RollingBack scaled the canary to %d", replicasOf(got))
		}

		rolledBack := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRolledBack}
		if err := drv.Apply(ctx, engine.Desired{}, rolledBack); err != nil {
			t.Fatal(err)
		}
		down := getDep(ctx, t, c, ns, "api-v2")
		if replicasOf(down) != 0 || down.Annotations[AnnotationScaledDownFrom] != "2" {
			t.Fatalf("after RolledBack: replicas %d, annotation %q; want 0 and \"2\"", replicasOf(down), down.Annotations[AnnotationScaledDownFrom])
		}
		if !equality.Semantic.DeepEqual(down.Spec.Template, before.Spec.Template) || !equality.Semantic.DeepEqual(down.Labels, before.Labels) {
			t.Error("scaling down changed more than spec.replicas and the annotation")
		}
		if !managedBy(down, FieldOwner) {
			t.Errorf("no managedFields entry for %q after the patch", FieldOwner)
		}
		if err := drv.Apply(ctx, engine.Desired{}, rolledBack); err != nil {
			t.Fatal(err)
		}
		if again := getDep(ctx, t, c, ns, "api-v2"); again.ResourceVersion != down.ResourceVersion {
			t.Error("a second Apply changed the canary again")
		}
		if got := getDep(ctx, t, c, ns, "api-v1"); replicasOf(got) != 3 {
			t.Errorf("stable replicas = %d, want 3 untouched", replicasOf(got))
		}

		// The next release scales it back up to what it had.
		if err := drv.Apply(ctx, engine.Desired{CanaryScaledUp: true}, v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing}); err != nil {
			t.Fatal(err)
		}
		up := getDep(ctx, t, c, ns, "api-v2")
		if _, ok := up.Annotations[AnnotationScaledDownFrom]; replicasOf(up) != 2 || ok {
			t.Errorf("after scaling up: replicas %d, annotation kept %v; want 2 and gone", replicasOf(up), ok)
		}
	})

	t.Run("PromoteCopiesTheTemplateToStable", func(t *testing.T) {
		ctx := testCtx(t)
		ns, drv := handMade(t, env, "dep-promote")
		o, err := drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := getDep(ctx, t, c, ns, "api-v1")
		promoting := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoting, StableRevision: o.StableRevision, CanaryRevision: o.CanaryRevision}
		want := engine.Desired{CanaryWeight: 60, CanaryScaledUp: true, PromoteStable: true}
		if err := drv.Apply(ctx, want, promoting); err != nil {
			t.Fatal(err)
		}
		v1, v2 := getDep(ctx, t, c, ns, "api-v1"), getDep(ctx, t, c, ns, "api-v2")
		if img := v1.Spec.Template.Spec.Containers[0].Image; img != "api:2.0" {
			t.Errorf("stable image = %s after the promotion began, want the canary's api:2.0", img)
		}
		if !equality.Semantic.DeepEqual(v1.Spec.Template.Labels, before.Spec.Template.Labels) || !equality.Semantic.DeepEqual(v1.Spec.Selector, before.Spec.Selector) {
			t.Errorf("stable's labels or selector changed: %v / %v", v1.Spec.Template.Labels, v1.Spec.Selector.MatchLabels)
		}
		if replicasOf(v1) != 3 || replicasOf(v2) != 2 {
			t.Errorf("replicas %d/%d while promoting, want 3/2", replicasOf(v1), replicasOf(v2))
		}
		o2, err := drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o2.StableRevision != o.CanaryRevision || o2.CanaryRevision != o.CanaryRevision {
			t.Errorf("revisions after the copy = %s/%s, want both %s", o2.StableRevision, o2.CanaryRevision, o.CanaryRevision)
		}

		// Once promoted the idle canary goes to zero; stable keeps the
		// promoted template, and a second Apply writes nothing.
		promoted := promoting
		promoted.Phase = v1alpha1.PhasePromoted
		idle := engine.Desired{PromoteStable: true}
		if err := drv.Apply(ctx, idle, promoted); err != nil {
			t.Fatal(err)
		}
		down := getDep(ctx, t, c, ns, "api-v2")
		if replicasOf(down) != 0 || down.Annotations[AnnotationScaledDownFrom] != "2" {
			t.Errorf("canary after promotion: replicas %d, annotation %q; want 0 and \"2\"", replicasOf(down), down.Annotations[AnnotationScaledDownFrom])
		}
		stable := getDep(ctx, t, c, ns, "api-v1")
		if err := drv.Apply(ctx, idle, promoted); err != nil {
			t.Fatal(err)
		}
		if again := getDep(ctx, t, c, ns, "api-v1"); again.ResourceVersion != stable.ResourceVersion {
			t.Error("a second Apply wrote the stable again")
		}

		// A stable edited by hand after the promotion gets the promoted
		// template back: traffic never serves an older version.
		stable.Spec.Template.Spec.Containers[0].Image = "api:1.0"
		if err := c.Update(ctx, stable); err != nil {
			t.Fatal(err)
		}
		if err := drv.Apply(ctx, idle, promoted); err != nil {
			t.Fatal(err)
		}
		if img := getDep(ctx, t, c, ns, "api-v1").Spec.Template.Spec.Containers[0].Image; img != "api:2.0" {
			t.Errorf("stable image = %s, want the promoted api:2.0 back", img)
		}

		// The next image on the canary is a new revision against the
		// promoted one; the canary comes back with its replicas.
		next := getDep(ctx, t, c, ns, "api-v2")
		next.Spec.Template.Spec.Containers[0].Image = "api:3.0"
		if err := c.Update(ctx, next); err != nil {
			t.Fatal(err)
		}
		o3, err := drv.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o3.StableRevision != o.CanaryRevision || o3.CanaryRevision == o.CanaryRevision {
			t.Errorf("revisions after the next image = %s/%s", o3.StableRevision, o3.CanaryRevision)
		}
		progressing := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, StableRevision: o3.StableRevision, CanaryRevision: o3.CanaryRevision}
		if err := drv.Apply(ctx, engine.Desired{CanaryScaledUp: true, CanaryWeight: 10}, progressing); err != nil {
			t.Fatal(err)
		}
		if got := getDep(ctx, t, c, ns, "api-v2"); replicasOf(got) != 2 {
			t.Errorf("canary replicas = %d for the next release, want 2", replicasOf(got))
		}
		if img := getDep(ctx, t, c, ns, "api-v1").Spec.Template.Spec.Containers[0].Image; img != "api:2.0" {
			t.Errorf("stable image = %s during the next release, want api:2.0", img)
		}
	})

	t.Run("PromoteCopiesOnlyTheRevisionPromoted", func(t *testing.T) {
		ctx := testCtx(t)
		ns, drv := handMade(t, env, "dep-stale")
		// The engine promotes a revision the canary no longer runs (a newer
		// image came in): stable is left alone.
		st := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoting, CanaryRevision: "0123456789"}
		if err := drv.Apply(ctx, engine.Desired{CanaryScaledUp: true, PromoteStable: true}, st); err != nil {
			t.Fatal(err)
		}
		if img := getDep(ctx, t, c, ns, "api-v1").Spec.Template.Spec.Containers[0].Image; img != "api:1.0" {
			t.Errorf("stable image = %s, want api:1.0 untouched", img)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		ctx := testCtx(t)
		ns, drv := handMade(t, env, "dep-missing")
		for name, tc := range map[string]struct {
			spec v1alpha1.DeploymentsWorkload
			want string
		}{
			"stable": {spec: v1alpha1.DeploymentsWorkload{Stable: "api-v0", Canary: "api-v2"}, want: fieldStable},
			"canary": {spec: v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v3"}, want: fieldCanary},
		} {
			t.Run(name, func(t *testing.T) {
				d := &Deployments{c: c, ns: ns, spec: tc.spec}
				_, err := d.Observe(ctx)
				wantConfigError(t, err, tc.want)
				wantConfigError(t, d.Apply(ctx, engine.Desired{}, v1alpha1.ReleaseStatus{}), tc.want)
			})
		}
		_, err := New(c, ns, "api", v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{}}, nil)
		wantConfigError(t, err, "spec.workload")
		if _, err := drv.Observe(ctx); err != nil {
			t.Errorf("the complete setup: %v", err)
		}
	})
}

// managedBy reports whether manager has a managedFields entry on obj.
func managedBy(obj client.Object, manager string) bool {
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == manager {
			return true
		}
	}
	return false
}
