package kubernetes

import (
	"context"
	"maps"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/test/e2e/envtest"
)

// gitTarget creates the Release and the target Deployment api as a GitOps
// tool would (3 replicas, pods labelled app: api, tier: web) and returns
// the driver for them.
func gitTarget(t *testing.T, env *envtest.Env, prefix string) (string, *v1alpha1.Release, *Target) {
	t.Helper()
	ctx := testCtx(t)
	ns := env.NewNamespace(t, prefix)
	w := v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 80, TargetPort: 8080}}
	rel := release(ctx, t, env.Client, ns, "api", w)
	create(ctx, t, env.Client, deployment(ns, "api", "api", "api:1.0", 3, map[string]string{"tier": "web"}))
	drv, err := New(env.Client, ns, rel.Name, w, rel)
	if err != nil {
		t.Fatal(err)
	}
	return ns, rel, drv.(*Target)
}

func observe(ctx context.Context, t *testing.T, drv Driver) Observed {
	t.Helper()
	o, err := drv.Observe(ctx)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return o
}

func apply(ctx context.Context, t *testing.T, drv Driver, d engine.Desired, phase v1alpha1.Phase, canaryRev string) {
	t.Helper()
	if err := drv.Apply(ctx, d, v1alpha1.ReleaseStatus{Phase: phase, CanaryRevision: canaryRev}); err != nil {
		t.Fatalf("Apply in %s: %v", phase, err)
	}
}

// setImage changes the target's image as a commit in Git would.
func setImage(ctx context.Context, t *testing.T, c client.Client, ns, image string) {
	t.Helper()
	d := getDep(ctx, t, c, ns, "api")
	d.Spec.Template.Spec.Containers[0].Image = image
	if err := c.Update(ctx, d, client.FieldOwner("user")); err != nil {
		t.Fatalf("setting the target's image to %s: %v", image, err)
	}
}

func image(d *appsv1.Deployment) string { return d.Spec.Template.Spec.Containers[0].Image }

// versions reads the resourceVersions of everything the driver touches.
func versions(ctx context.Context, t *testing.T, c client.Client, ns string) map[string]string {
	t.Helper()
	rv := map[string]string{}
	for _, name := range []string{"api", "api-primary", "api-canary"} {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err == nil {
			rv["Deployment "+name] = d.ResourceVersion
		} else if !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if name == "api" {
			continue
		}
		s := &corev1.Service{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			t.Fatalf("Service %s: %v", name, err)
		}
		rv["Service "+name] = s.ResourceVersion
	}
	return rv
}

func testTarget(t *testing.T, env *envtest.Env) {
	c := env.Client

	t.Run("LifeCycle", func(t *testing.T) {
		ctx := testCtx(t)
		ns, rel, drv := gitTarget(t, env, "target-life")
		before := getDep(ctx, t, c, ns, "api")
		rev1, _ := Revision(before.Spec.Template)

		// Before the primary exists: equal revisions, stable not ready.
		if o := observe(ctx, t, drv); o.StableRevision != rev1 || o.CanaryRevision != rev1 || o.StableReady {
			t.Fatalf("before initialisation: %+v, want both revisions %s and stable not ready", o, rev1)
		}

		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseInitializing, "")
		checkCopy(ctx, t, c, ns, rel, "api-primary", RolePrimary, rev1, 3, before.Spec.Template)
		checkService(ctx, t, c, ns, rel, "api-primary", RolePrimary)
		checkService(ctx, t, c, ns, rel, "api-canary", RoleCanary)
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api-canary"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
			t.Errorf("api-canary Deployment with nothing to release: err = %v, want NotFound", err)
		}
		if got := getDep(ctx, t, c, ns, "api"); replicasOf(got) != 3 {
			t.Errorf("target scaled to %d before the primary was ready; want its 3 pods kept", replicasOf(got))
		}

		rollOut(ctx, t, c, ns, "api-primary")
		if o := observe(ctx, t, drv); !o.StableReady || o.StableRevision != rev1 || o.CanaryRevision != rev1 {
			t.Fatalf("primary rolled out: %+v", o)
		}
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseWaiting, "")
		target := getDep(ctx, t, c, ns, "api")
		if replicasOf(target) != 0 || target.Annotations[AnnotationReplicas] != "3" {
			t.Fatalf("target: replicas %d, %s=%q; want 0 and \"3\"", replicasOf(target), AnnotationReplicas, target.Annotations[AnnotationReplicas])
		}
		checkUserSpecKept(t, before, target)

		rv := versions(ctx, t, c, ns)
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseWaiting, "")
		if again := versions(ctx, t, c, ns); !maps.Equal(again, rv) {
			t.Errorf("a second Apply changed objects: %v, was %v", again, rv)
		}

		// A new image in Git is a canary.
		setImage(ctx, t, c, ns, "api:2.0")
		rev2, _ := Revision(getDep(ctx, t, c, ns, "api").Spec.Template)
		o := observe(ctx, t, drv)
		if o.StableRevision != rev1 || o.CanaryRevision != rev2 || rev2 == rev1 || o.CanaryReady {
			t.Fatalf("after a new image: %+v, want stable %s, canary %s not ready", o, rev1, rev2)
		}
		up := engine.Desired{CanaryScaledUp: true, CanaryWeight: 10}
		apply(ctx, t, drv, up, v1alpha1.PhaseProgressing, rev2)
		checkCopy(ctx, t, c, ns, rel, "api-canary", RoleCanary, rev2, 3, getDep(ctx, t, c, ns, "api").Spec.Template)
		if o := observe(ctx, t, drv); o.CanaryReady {
			t.Error("canary ready before its pods are")
		}
		rollOut(ctx, t, c, ns, "api-canary")
		if o := observe(ctx, t, drv); !o.CanaryReady || !o.StableReady {
			t.Errorf("canary rolled out: %+v, want both ready", o)
		}
		if img := image(getDep(ctx, t, c, ns, "api-primary")); img != "api:1.0" {
			t.Errorf("primary runs %s during the release, want api:1.0", img)
		}

		// Promotion copies the canary's template to the primary.
		promote := engine.Desired{CanaryScaledUp: true, PromoteStable: true, CanaryWeight: 50}
		apply(ctx, t, drv, promote, v1alpha1.PhasePromoting, rev2)
		checkCopy(ctx, t, c, ns, rel, "api-primary", RolePrimary, rev2, 3, getDep(ctx, t, c, ns, "api").Spec.Template)
		if o := observe(ctx, t, drv); o.StableRevision != rev2 || o.StableReady {
			t.Errorf("primary updated: %+v, want stable %s, not ready until rolled out", o, rev2)
		}
		rollOut(ctx, t, c, ns, "api-primary")
		if o := observe(ctx, t, drv); o.StableRevision != rev2 || o.CanaryRevision != rev2 || !o.StableReady {
			t.Errorf("primary rolled out: %+v", o)
		}
		if got := getDep(ctx, t, c, ns, "api-canary"); replicasOf(got) != 3 {
			t.Errorf("canary scaled to %d while traffic moves back to the primary", replicasOf(got))
		}
		apply(ctx, t, drv, engine.Desired{PromoteStable: true}, v1alpha1.PhasePromoted, rev2)
		canary := getDep(ctx, t, c, ns, "api-canary")
		if replicasOf(canary) != 0 || image(canary) != "api:2.0" {
			t.Errorf("canary after promotion: %d replicas of %s, want 0 of api:2.0 (kept)", replicasOf(canary), image(canary))
		}
		rv = versions(ctx, t, c, ns)
		apply(ctx, t, drv, engine.Desired{PromoteStable: true}, v1alpha1.PhasePromoted, rev2)
		if again := versions(ctx, t, c, ns); !maps.Equal(again, rv) {
			t.Errorf("a second Apply after promotion changed objects: %v, was %v", again, rv)
		}

		// A bad image, then a git revert: equal revisions again.
		setImage(ctx, t, c, ns, "api:3.0-bad")
		rev3, _ := Revision(getDep(ctx, t, c, ns, "api").Spec.Template)
		apply(ctx, t, drv, up, v1alpha1.PhaseProgressing, rev3)
		if img := image(getDep(ctx, t, c, ns, "api-canary")); img != "api:3.0-bad" {
			t.Fatalf("canary runs %s, want api:3.0-bad", img)
		}
		setImage(ctx, t, c, ns, "api:2.0")
		if o := observe(ctx, t, drv); o.CanaryRevision != rev2 || o.StableRevision != rev2 {
			t.Fatalf("after the revert: %+v, want both revisions %s", o, rev2)
		}
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseRollingBack, rev3)
		if got := getDep(ctx, t, c, ns, "api-canary"); replicasOf(got) != 3 {
			t.Errorf("canary scaled to %d while traffic is still leaving it", replicasOf(got))
		}
		apply(ctx, t, drv, engine.Desired{}, v1alpha1.PhaseRolledBack, rev3)
		if got := getDep(ctx, t, c, ns, "api-canary"); replicasOf(got) != 0 {
			t.Errorf("canary after the rollback: %d replicas, want 0", replicasOf(got))
		}
		if got := getDep(ctx, t, c, ns, "api-primary"); image(got) != "api:2.0" {
			t.Errorf("primary runs %s after the rollback, want api:2.0", image(got))
		}

		if err := drv.Finalize(ctx); err != nil {
			t.Fatal(err)
		}
		target = getDep(ctx, t, c, ns, "api")
		if _, ok := target.Annotations[AnnotationReplicas]; replicasOf(target) != 3 || ok {
			t.Errorf("target after Finalize: %d replicas, annotation kept %v; want 3 and none", replicasOf(target), ok)
		}
	})

	testTargetEdges(t, env)
}

// checkCopy checks <target>-primary or -canary: the template is the
// user's, labels unchanged plus the role, selected by the target's
// selector plus the role, owned by the Release.
func checkCopy(ctx context.Context, t *testing.T, c client.Client, ns string, rel *v1alpha1.Release, name, role, rev string, replicas int32, tpl corev1.PodTemplateSpec) {
	t.Helper()
	d := getDep(ctx, t, c, ns, name)
	if d.Annotations[AnnotationRevision] != rev || replicasOf(d) != replicas {
		t.Errorf("%s: revision %q, %d replicas; want %s and %d", name, d.Annotations[AnnotationRevision], replicasOf(d), rev, replicas)
	}
	wantLabels := maps.Clone(tpl.Labels)
	wantLabels[LabelRole] = role
	if !maps.Equal(d.Spec.Template.Labels, wantLabels) {
		t.Errorf("%s: pod labels %v, want %v", name, d.Spec.Template.Labels, wantLabels)
	}
	if !maps.Equal(d.Spec.Template.Annotations, tpl.Annotations) {
		t.Errorf("%s: pod annotations %v, want the user's %v", name, d.Spec.Template.Annotations, tpl.Annotations)
	}
	if !equality.Semantic.DeepEqual(d.Spec.Template.Spec, tpl.Spec) {
		t.Errorf("%s: pod spec differs from the template it copies", name)
	}
	if got, _ := Revision(d.Spec.Template); got != rev {
		t.Errorf("%s: template hashes to %s, want %s", name, got, rev)
	}
	if want := (metav1.LabelSelector{MatchLabels: map[string]string{"app": "api", LabelRole: role}}); !equality.Semantic.DeepEqual(*d.Spec.Selector, want) {
		t.Errorf("%s: selector %v, want %v", name, d.Spec.Selector, want)
	}
	if d.Labels[LabelRole] != role || d.Labels[LabelRelease] != rel.Name {
		t.Errorf("%s: labels %v", name, d.Labels)
	}
	checkOwner(t, d, rel)
}

func checkService(ctx context.Context, t *testing.T, c client.Client, ns string, rel *v1alpha1.Release, name, role string) {
	t.Helper()
	s := &corev1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("Service %s: %v", name, err)
	}
	if want := map[string]string{"app": "api", LabelRole: role}; !maps.Equal(s.Spec.Selector, want) {
		t.Errorf("Service %s: selector %v, want %v", name, s.Spec.Selector, want)
	}
	if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != 80 || s.Spec.Ports[0].TargetPort.IntValue() != 8080 || s.Spec.Ports[0].Name != ServicePortName {
		t.Errorf("Service %s: ports %+v, want http 80 -> 8080", name, s.Spec.Ports)
	}
	checkOwner(t, s, rel)
}

func checkOwner(t *testing.T, obj client.Object, rel *v1alpha1.Release) {
	t.Helper()
	refs := obj.GetOwnerReferences()
	if len(refs) != 1 || refs[0].UID != rel.UID || refs[0].Kind != "Release" ||
		refs[0].APIVersion != v1alpha1.GroupVersion.String() || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("%s: ownerReferences %+v, want the Release %s as controller", obj.GetName(), refs, rel.UID)
	}
	if !managedBy(obj, FieldOwner) {
		t.Errorf("%s: not managed by %q", obj.GetName(), FieldOwner)
	}
}

// checkUserSpecKept compares the target with what the user wrote, except
// spec.replicas and the replicas annotation, which Sluice owns.
func checkUserSpecKept(t *testing.T, before, after *appsv1.Deployment) {
	t.Helper()
	b, a := before.DeepCopy(), after.DeepCopy()
	b.Spec.Replicas, a.Spec.Replicas = nil, nil
	delete(a.Annotations, AnnotationReplicas)
	if len(a.Annotations) == 0 {
		a.Annotations = nil
	}
	if !equality.Semantic.DeepEqual(a.Spec, b.Spec) {
		t.Errorf("the target's spec changed beyond spec.replicas:\nbefore %+v\nafter  %+v", b.Spec, a.Spec)
	}
	if !maps.Equal(a.Labels, b.Labels) || !maps.Equal(a.Annotations, b.Annotations) {
		t.Errorf("the target's metadata changed: labels %v annotations %v, were %v %v", a.Labels, a.Annotations, b.Labels, b.Annotations)
	}
}
