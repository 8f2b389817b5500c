package kubernetes

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/kubeerr"
)

// fieldTarget is the field of the Release that errors of this driver
// point at: the target's name, from which every other name derives.
const fieldTarget = "spec.workload.target.deployment"

// Target drives the GitOps form: one Deployment kept in Git (the target)
// whose pod template is the only thing Sluice reads from it. Sluice runs
// the versions in two Deployments of its own, <target>-primary (stable)
// and <target>-canary, each with a Service of the same name, and keeps the
// target at zero replicas. A new template in Git is a canary; promotion
// copies it onto the primary; a template reverted in Git to the primary's
// is seen as equal revisions, which the engine rolls back.
type Target struct {
	c       client.Client
	ns      string
	release string
	spec    v1alpha1.TargetWorkload
	owner   client.Object
}

// PrimaryName is the Deployment and Service running the stable version.
func (t *Target) PrimaryName() string { return t.spec.Deployment + "-primary" }

// CanaryName is the Deployment and Service running the canary.
func (t *Target) CanaryName() string { return t.spec.Deployment + "-canary" }

// targetState is one reading of the target and of Sluice's copies.
type targetState struct {
	target    *appsv1.Deployment
	targetRev string
	// primary and canary are nil when they do not exist yet.
	primary, canary       *appsv1.Deployment
	primaryRev, canaryRev string
}

func (t *Target) read(ctx context.Context) (*targetState, error) {
	target, err := getDeployment(ctx, t.c, t.ns, t.spec.Deployment, fieldTarget)
	if err != nil {
		return nil, err
	}
	if target.Spec.Selector == nil || len(target.Spec.Selector.MatchLabels) == 0 {
		return nil, kubeerr.Config(fieldTarget, "Deployment "+t.ns+"/"+target.Name,
			"Deployment %s has no selector.matchLabels; the Services Sluice creates select pods by those labels", target.Name)
	}
	s := &targetState{target: target}
	if s.targetRev, err = Revision(target.Spec.Template); err != nil {
		return nil, fmt.Errorf("revision of Deployment %s/%s: %w", t.ns, target.Name, err)
	}
	if s.primary, s.primaryRev, err = t.readCopy(ctx, t.PrimaryName()); err != nil {
		return nil, err
	}
	if s.canary, s.canaryRev, err = t.readCopy(ctx, t.CanaryName()); err != nil {
		return nil, err
	}
	return s, nil
}

// readCopy reads <target>-primary or -canary and the revision it runs. One
// that exists but was not made for this Release is a ConfigError: Sluice
// will not take over a Deployment someone else runs.
func (t *Target) readCopy(ctx context.Context, name string) (*appsv1.Deployment, string, error) {
	d, err := findDeployment(ctx, t.c, t.ns, name)
	if err != nil || d == nil {
		return nil, "", err
	}
	if !t.ownedByRelease(d) {
		return nil, "", kubeerr.Config(fieldTarget, "Deployment "+t.ns+"/"+name,
			"Deployment %s exists but was not created for Release %s; rename or delete it", name, t.release)
	}
	if rev := d.Annotations[AnnotationRevision]; rev != "" {
		return d, rev, nil
	}
	rev, err := Revision(d.Spec.Template)
	if err != nil {
		return nil, "", fmt.Errorf("revision of Deployment %s/%s: %w", t.ns, name, err)
	}
	return d, rev, nil
}

// Observe reports the primary as stable and the target's template as the
// canary's revision. Before the primary exists the stable revision is the
// target's, so the engine sees nothing to release and waits for the
// primary to become ready. The canary is ready only when it runs the
// target's current template.
func (t *Target) Observe(ctx context.Context) (Observed, error) {
	s, err := t.read(ctx)
	if err != nil {
		return Observed{}, err
	}
	o := Observed{
		StableRevision: s.primaryRev, CanaryRevision: s.targetRev,
		StableReady: Ready(s.primary),
		CanaryReady: s.canary != nil && s.canaryRev == s.targetRev && Ready(s.canary),
		StableName:  t.PrimaryName(), CanaryName: t.CanaryName(),
		StableReplicas: counts(s.primary), CanaryReplicas: counts(s.canary),
	}
	if s.primary == nil {
		o.StableRevision = s.targetRev
	}
	return o, nil
}

// Apply brings Sluice's objects to what the engine wants:
//
//   - the Services <target>-primary and <target>-canary always exist;
//   - <target>-primary is created from the target's template the first
//     time; while the engine asks for promotion it gets the template of
//     the canary revision being promoted; otherwise it keeps its template;
//   - <target>-canary runs the target's current template while the engine
//     wants the canary up (during a promotion it keeps what it runs), and is
//     scaled to zero, template kept, when it does not, except while a
//     rollback is moving traffic off it;
//   - the target is scaled to zero whenever the primary is ready, with
//     its owner's replica count recorded for the copies.
func (t *Target) Apply(ctx context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error {
	s, err := t.read(ctx)
	if err != nil {
		return err
	}
	if err := t.checkServices(ctx); err != nil {
		return err
	}
	ref, err := t.ownerRef()
	if err != nil {
		return err
	}
	replicas, record := userReplicas(s.target)
	for _, role := range []string{RolePrimary, RoleCanary} {
		svc, name := t.service(role, s.target, ref)
		if err := t.apply(ctx, svc, "Service", name); err != nil {
			return err
		}
	}

	tpl, primaryRev := t.primaryTemplate(s, want, st)
	if err := t.applyDeployment(ctx, RolePrimary, s.target, tpl, primaryRev, replicas, ref); err != nil {
		return err
	}

	switch {
	case want.CanaryScaledUp && want.PromoteStable && s.canary != nil:
		err = t.applyDeployment(ctx, RoleCanary, s.target, s.canary.Spec.Template, s.canaryRev, replicas, ref)
	case want.CanaryScaledUp && (s.canary != nil || s.targetRev != primaryRev):
		err = t.applyDeployment(ctx, RoleCanary, s.target, s.target.Spec.Template, s.targetRev, replicas, ref)
	case !want.CanaryScaledUp && s.canary != nil && st.Phase != v1alpha1.PhaseRollingBack:
		err = t.applyDeployment(ctx, RoleCanary, s.target, s.canary.Spec.Template, s.canaryRev, 0, ref)
	}
	if err != nil {
		return err
	}

	// The target's pods may still be serving (at adoption, they are the
	// service): they go only once the primary is ready to take over. A
	// non-zero count set again from Git is recorded for the copies.
	if replicasOf(s.target) > 0 && Ready(s.primary) {
		var ann map[string]any
		if record {
			ann = map[string]any{AnnotationReplicas: strconv.Itoa(int(replicas))}
		}
		if err := patchReplicas(ctx, t.c, s.target, 0, ann); err != nil {
			return err
		}
	}
	return nil
}

// primaryTemplate picks the template the primary must run and its revision.
func (t *Target) primaryTemplate(s *targetState, want engine.Desired, st v1alpha1.ReleaseStatus) (corev1.PodTemplateSpec, string) {
	switch {
	case s.primary == nil:
		return s.target.Spec.Template, s.targetRev
	case want.PromoteStable && st.CanaryRevision != "" && s.primaryRev != st.CanaryRevision:
		// Copy exactly the revision the engine promotes, from whichever
		// side still has it; if neither does (Git moved on meanwhile),
		// keep the primary: the engine will start over with the new one.
		if s.canary != nil && s.canaryRev == st.CanaryRevision {
			return s.canary.Spec.Template, s.canaryRev
		}
		if s.targetRev == st.CanaryRevision {
			return s.target.Spec.Template, s.targetRev
		}
	}
	return s.primary.Spec.Template, s.primaryRev
}

// Finalize gives the target back the replica count Sluice recorded, so the
// service keeps running from the target once the Release and the objects
// it owns are deleted. The target then runs whatever template Git has.
func (t *Target) Finalize(ctx context.Context) error {
	target, err := findDeployment(ctx, t.c, t.ns, t.spec.Deployment)
	if err != nil || target == nil {
		return err
	}
	v, ok := target.Annotations[AnnotationReplicas]
	if !ok || replicasOf(target) > 0 {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return fmt.Errorf("annotation %s=%q of Deployment %s/%s is not a replica count", AnnotationReplicas, v, t.ns, target.Name)
	}
	return patchReplicas(ctx, t.c, target, int32(n), map[string]any{AnnotationReplicas: nil})
}
