package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
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
// v2) or an Argo-style pair behind a stable and a canary Service.
//
// The roles never swap: the stable Deployment always serves users, and
// the canary Deployment is where every new version is tried. On promotion
// Sluice copies the canary's pod template onto the stable Deployment,
// keeping the stable's own labels (and so its selector, subset and
// Service), waits for it to roll out, sends all traffic back to it and
// scales the canary to zero until the next release. The next new image
// goes on the canary Deployment again (`sluice set image` does that), and
// is compared with the promoted version serving on stable.
//
// Revisions compare the templates' content, not their labels (see
// ContentRevision): the two Deployments' labels differ by design.
type Deployments struct {
	c    client.Client
	ns   string
	spec v1alpha1.DeploymentsWorkload
}

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

// revisions are the two Deployments' content revisions.
func (d *Deployments) revisions(stable, canary *appsv1.Deployment) (string, string, error) {
	sr, err := ContentRevision(stable.Spec.Template)
	if err != nil {
		return "", "", fmt.Errorf("revision of Deployment %s/%s: %w", d.ns, stable.Name, err)
	}
	cr, err := ContentRevision(canary.Spec.Template)
	if err != nil {
		return "", "", fmt.Errorf("revision of Deployment %s/%s: %w", d.ns, canary.Name, err)
	}
	return sr, cr, nil
}

// Observe reads both Deployments. A missing one is a *kubeerr.ConfigError
// at spec.workload.deployments.stable or .canary.
func (d *Deployments) Observe(ctx context.Context) (Observed, error) {
	stable, canary, err := d.read(ctx)
	if err != nil {
		return Observed{}, err
	}
	sr, cr, err := d.revisions(stable, canary)
	if err != nil {
		return Observed{}, err
	}
	return Observed{
		StableRevision: sr, CanaryRevision: cr,
		StableReady: Ready(stable), CanaryReady: Ready(canary),
		StableName: stable.Name, CanaryName: canary.Name,
		StableReplicas: counts(stable), CanaryReplicas: counts(canary),
	}, nil
}

// Apply brings the two Deployments to what the engine wants:
//
//   - while the engine promotes, the stable Deployment gets the template of
//     the revision being promoted (status.canaryRevision), copied from the
//     canary with the stable's labels kept; once Promoted it keeps it, and
//     a stable edited by hand to something else gets it back;
//   - the canary runs while the engine wants it (restored to the replica
//     count recorded when Sluice scaled it down) and goes to zero once a
//     rollback has finished or the release is Promoted: no traffic reaches
//     it then. In the other phases (Initializing, Waiting) it is left as
//     the user has it, so adopting a running setup changes nothing;
//   - a stable Sluice once scaled down is given its replicas back.
func (d *Deployments) Apply(ctx context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error {
	stable, canary, err := d.read(ctx)
	if err != nil {
		return err
	}
	if want.PromoteStable {
		if err := d.copyToStable(ctx, stable, canary, st.CanaryRevision); err != nil {
			return err
		}
	}
	switch {
	case want.CanaryScaledUp:
		err = restore(ctx, d.c, canary)
	case st.Phase == v1alpha1.PhaseRolledBack || st.Phase == v1alpha1.PhasePromoted:
		err = scaleDown(ctx, d.c, canary)
	}
	if err != nil {
		return err
	}
	return restore(ctx, d.c, stable)
}

// copyToStable puts the promoted revision's template on the stable
// Deployment, keeping the stable's labels. It does nothing when stable runs
// it already, or when the canary no longer has it (a newer image came in
// meanwhile: the engine then starts the next release from what stable
// runs).
func (d *Deployments) copyToStable(ctx context.Context, stable, canary *appsv1.Deployment, rev string) error {
	sr, cr, err := d.revisions(stable, canary)
	if err != nil || rev == "" || sr == rev || cr != rev {
		return err
	}
	tpl := *canary.Spec.Template.DeepCopy()
	tpl.Labels = stable.Spec.Template.Labels
	return replaceTemplate(ctx, d.c, stable, tpl)
}

// replaceTemplate sets a Deployment's pod template with a JSON patch that
// first tests the resourceVersion read, so a template changed meanwhile is
// never overwritten: the patch fails and the next tick reads again.
func replaceTemplate(ctx context.Context, c client.Client, dep *appsv1.Deployment, tpl corev1.PodTemplateSpec) error {
	ops := []map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": dep.ResourceVersion},
		{"op": "replace", "path": "/spec/template", "value": tpl},
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("encoding the template of Deployment %s/%s: %w", dep.Namespace, dep.Name, err)
	}
	if err := c.Patch(ctx, dep, client.RawPatch(types.JSONPatchType, body), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("copying the promoted template to Deployment %s/%s: %w", dep.Namespace, dep.Name, err)
	}
	return nil
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
