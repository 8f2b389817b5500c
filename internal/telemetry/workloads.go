package telemetry

import "sluice.dev/sluice/api/v1alpha1"

// Roles, the values of sluice_release_workload_info's role label.
const (
	RoleStable = "stable"
	RoleCanary = "canary"
)

// workloads are the names the mesh reports a release's versions under
// (Istio's destination_workload is the Deployment's name).
type workloads struct{ stable, canary string }

// workloadsOf names the Deployments of a Kubernetes release: the two the
// user named, or the target's <deployment>-primary and <deployment>-canary
// copies. Local releases have none: their versions are the proxy's
// "stable" and "canary".
func workloadsOf(w v1alpha1.WorkloadSpec) workloads {
	switch {
	case w.Deployments != nil:
		return workloads{stable: w.Deployments.Stable, canary: w.Deployments.Canary}
	case w.Target != nil:
		return workloads{stable: w.Target.Deployment + "-primary", canary: w.Target.Deployment + "-canary"}
	}
	return workloads{}
}

// setWorkloads exports the release's workloads, replacing the old ones
// when the spec changed.
func (r *Recorder) setWorkloads(m *memory, ns, name string, w workloads) {
	if w == m.workloads {
		return
	}
	r.workload.DeletePartialMatch(map[string]string{labelNamespace: ns, labelRelease: name})
	m.workloads = w
	if w.stable != "" {
		r.workload.WithLabelValues(ns, name, RoleStable, w.stable).Set(1)
	}
	if w.canary != "" {
		r.workload.WithLabelValues(ns, name, RoleCanary, w.canary).Set(1)
	}
}
