package kubernetes

import (
	appsv1 "k8s.io/api/apps/v1"
)

// replicasOf is spec.replicas as the API server reads it: nil means one.
func replicasOf(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// counts reads a Deployment's replica counts; a missing one has none.
func counts(d *appsv1.Deployment) ReplicaCounts {
	if d == nil {
		return ReplicaCounts{}
	}
	return ReplicaCounts{
		Desired:   replicasOf(d),
		Ready:     d.Status.ReadyReplicas,
		Updated:   d.Status.UpdatedReplicas,
		Available: d.Status.AvailableReplicas,
	}
}

// Ready reports whether a Deployment serves its current template with all
// the replicas it asks for: the Deployment controller has seen the latest
// spec (observedGeneration), every replica runs the current template and is
// available, no replica of an older template is left, and there is at least
// one. A Deployment scaled to zero is not ready: it serves nobody.
func Ready(d *appsv1.Deployment) bool {
	if d == nil {
		return false
	}
	want := replicasOf(d)
	s := d.Status
	return want > 0 &&
		s.ObservedGeneration >= d.Generation &&
		s.UpdatedReplicas == want &&
		s.AvailableReplicas == want &&
		s.Replicas == want
}
