package kubernetes

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// Field paths of the Release that errors of this driver point at.
const (
	fieldStable = "spec.workload.deployments.stable"
	fieldCanary = "spec.workload.deployments.canary"
)

// Deployments drives two Deployments the user owns, as in a hand-made
// Istio setup (api-v1 labelled version: v1 behind subset v1, api-v2 behind
// v2). Sluice never changes their templates; the only field it writes is
// spec.replicas, to scale the canary down after a rollback (and back up for
// the next release) and, when asked, the old stable after a promotion.
type Deployments struct {
	c    client.Client
	ns   string
	spec v1alpha1.DeploymentsWorkload
}

// PromoteMode is ShiftToCanary: the canary Deployment ends with all the
// traffic and is the stable version from then on.
func (d *Deployments) PromoteMode() engine.PromoteMode { return engine.PromoteShiftToCanary }

func (d *Deployments) read(ctx context.Context) (stable, canary *appsv1.Deployment, err error) {
	stable, err = getDeployment(ctx, d.c, d.ns, d.spec.Stable, fieldStable)
	if err != nil {
		return nil, nil, err
	}
	canary, err = getDeployment(ctx, d.c, d.ns, d.spec.Canary, fieldCanary)
	if err != nil {
		return nil, nil, err
	}
	return stable, canary, nil
}

// Observe reads both Deployments. A missing one is a *kubeerr.ConfigError
// at spec.workload.deployments.stable or .canary.
func (d *Deployments) Observe(ctx context.Context) (Observed, error) {
	stable, canary, err := d.read(ctx)
	if err != nil {
		return Observed{}, err
	}
	sr, err := Revision(stable.Spec.Template)
	if err != nil {
		return Observed{}, fmt.Errorf("revision of Deployment %s/%s: %w", d.ns, stable.Name, err)
	}
	cr, err := Revision(canary.Spec.Template)
	if err != nil {
		return Observed{}, fmt.Errorf("revision of Deployment %s/%s: %w", d.ns, canary.Name, err)
	}
	return Observed{
		StableRevision: sr, CanaryRevision: cr,
		StableReady: Ready(stable), CanaryReady: Ready(canary),
		StableName: stable.Name, CanaryName: canary.Name,
		StableReplicas: counts(stable), CanaryReplicas: counts(canary),
	}, nil
}

// Apply scales the two Deployments:
//
//   - the canary goes to zero once a rollback has finished (phase
//     RolledBack, when no traffic reaches it any more) and comes back to its
//     recorded count when the engine wants it running again. In the other
//     phases where the engine does not need it (Initializing, Waiting) it is
//     left as the user has it, so adopting a running setup changes nothing;
//   - the old stable goes to zero once the release is Promoted, if
//     spec.workload.deployments.scaleDownStable is set; in any other state a
//     stable Sluice scaled down is restored.
func (d *Deployments) Apply(ctx context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error {
	stable, canary, err := d.read(ctx)
	if err != nil {
		return err
	}
	switch {
	case want.CanaryScaledUp:
		err = restore(ctx, d.c, canary)
	case st.Phase == v1alpha1.PhaseRolledBack:
		err = scaleDown(ctx, d.c, canary)
	}
	if err != nil {
		return err
	}
	if want.PromoteStable && st.Phase == v1alpha1.PhasePromoted && d.spec.ScaleDownStable {
		return scaleDown(ctx, d.c, stable)
	}
	return restore(ctx, d.c, stable)
}

// Finalize restores both Deployments to the replicas they had before
// Sluice scaled them down. A Deployment that is gone is skipped, so a
// Release can always be deleted.
func (d *Deployments) Finalize(ctx context.Context) error {
	for _, name := range []string{d.spec.Canary, d.spec.Stable} {
		dep, err := findDeployment(ctx, d.c, d.ns, name)
		if err != nil {
			return err
		}
		if dep == nil {
			continue
		}
		if err := restore(ctx, d.c, dep); err != nil {
			return err
		}
	}
	return nil
}
