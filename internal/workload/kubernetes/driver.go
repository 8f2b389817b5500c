package kubernetes

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/kubeerr"
)

// FieldOwner is the field manager of every write Sluice makes, so the
// objects' managedFields show which fields are Sluice's.
const FieldOwner = "sluice"

// Labels and annotations Sluice writes. Keys under the sluice.dev/ prefix
// never count towards a pod template's revision.
const (
	// LabelRole tells the primary's pods from the canary's, in the pod
	// template, the Deployment selector and the Service selector.
	LabelRole = "sluice.dev/role"
	// LabelRelease names the Release that created an object.
	LabelRelease = "sluice.dev/release"
	// AnnotationRevision on <target>-primary and <target>-canary is the
	// revision of the pod template each runs.
	AnnotationRevision = "sluice.dev/revision"
	// AnnotationReplicas on the target is the replica count its owner asked
	// for, recorded before Sluice scaled the target to zero.
	AnnotationReplicas = "sluice.dev/replicas"
	// AnnotationScaledDownFrom on a user's Deployment is the replica count
	// it had before Sluice scaled it to zero, so it can be restored.
	AnnotationScaledDownFrom = "sluice.dev/scaled-down-from"
)

// The values of LabelRole.
const (
	RolePrimary = "primary"
	RoleCanary  = "canary"
)

// ReplicaCounts is a Deployment's replica counts as people read them in
// `kubectl get deploy`, for the CLI's tree view and the controller's events.
type ReplicaCounts struct {
	// Desired is spec.replicas.
	Desired int32 `json:"desired"`
	// Ready, Updated and Available are from the Deployment's status.
	Ready     int32 `json:"ready"`
	Updated   int32 `json:"updated"`
	Available int32 `json:"available"`
}

// Observed is what a driver saw of both versions: the engine compares the
// revisions and waits on readiness; the names and counts are for people and
// for metric queries by workload.
type Observed struct {
	StableRevision, CanaryRevision string
	StableReady, CanaryReady       bool
	// StableName and CanaryName are the Deployments running each version.
	StableName, CanaryName         string
	StableReplicas, CanaryReplicas ReplicaCounts
}

// Driver runs the two versions of one Release on Kubernetes. The controller
// calls Observe, gives the result to the engine, and calls Apply with what
// the engine wants; drivers keep no state between calls, so a restarted
// controller simply carries on.
type Driver interface {
	// Observe reports both versions' revisions and readiness.
	Observe(ctx context.Context) (Observed, error)
	// Apply brings the workloads to what the engine wants. The status is
	// the one the engine just returned; it tells a finished rollback or
	// promotion from one under way.
	Apply(ctx context.Context, d engine.Desired, st v1alpha1.ReleaseStatus) error
	// Finalize gives the user's Deployments back the replicas Sluice took
	// from them; call it before the Release goes away, or the service is
	// left with nothing running once the objects Sluice owns are deleted.
	Finalize(ctx context.Context) error
}

var (
	_ Driver = (*Deployments)(nil)
	_ Driver = (*Target)(nil)
)

// New returns the driver for the Release's workload form. owner is the
// Release; objects Sluice creates get an ownerReference to it. A spec with
// neither the deployments nor the target form is a *kubeerr.ConfigError.
func New(c client.Client, namespace, releaseName string, spec v1alpha1.WorkloadSpec, owner client.Object) (Driver, error) {
	switch {
	case spec.Deployments != nil:
		return &Deployments{c: c, ns: namespace, spec: *spec.Deployments}, nil
	case spec.Target != nil:
		if owner == nil {
			return nil, fmt.Errorf("workload target %s/%s: no owner for the objects Sluice creates", namespace, spec.Target.Deployment)
		}
		return &Target{c: c, ns: namespace, release: releaseName, spec: *spec.Target, owner: owner}, nil
	}
	return nil, kubeerr.Config("spec.workload", "", "set deployments or target to run the release on Kubernetes")
}

// getDeployment reads a Deployment the Release names; a missing one is a
// ConfigError at field, since only a person can fix it.
func getDeployment(ctx context.Context, c client.Client, ns, name, field string) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d)
	switch {
	case apierrors.IsNotFound(err):
		return nil, kubeerr.Config(field, "Deployment "+ns+"/"+name, "Deployment %s not found in namespace %s", name, ns)
	case err != nil:
		return nil, fmt.Errorf("reading Deployment %s/%s: %w", ns, name, err)
	}
	return d, nil
}

// findDeployment reads a Deployment Sluice owns; nil when it does not exist.
func findDeployment(ctx context.Context, c client.Client, ns, name string) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Deployment %s/%s: %w", ns, name, err)
	}
	return d, nil
}
