package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// testStepsEdited: the steps are edited (as kubectl edit would) while the
// release waits at a later manual pause. The release starts again at step 1
// of the new steps with reason StepsChanged, and is not promoted on an
// index the new steps do not have. The next release, a new canary image,
// starts at step 1 of the edited steps, survives a controller restart and
// is promoted.
func testStepsEdited(t *testing.T, cl *cluster) {
	ns := twoDeployments(t, cl, "edit")
	cl.createYAML(t, ns, twoHostsVS)
	cl.createYAML(t, ns, twoHostsRelease(`    - setWeight: 20
    - pause: {}
    - setWeight: 60
    - pause: {}
`))
	pausedAt := func(step, weight int32) func(*v1alpha1.Release) bool {
		return func(r *v1alpha1.Release) bool {
			return r.Status.Phase == v1alpha1.PhasePaused && r.Status.StepIndex == step && r.Status.CanaryWeight == weight
		}
	}
	cl.waitRelease(t, ns, "api", 60*time.Second, "the first pause", pausedAt(1, 20))
	cl.sluice(t, ns, "promote", "api")
	cl.waitRelease(t, ns, "api", 60*time.Second, "the second pause, at 60%", pausedAt(3, 60))

	patch := []byte(`{"spec":{"strategy":{"steps":[{"setWeight":10},{"pause":{}}]}}}`)
	rel := &v1alpha1.Release{}
	rel.Namespace, rel.Name = ns, "api"
	if err := cl.c.Patch(context.Background(), rel, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("editing the steps: %v", err)
	}
	rel = cl.waitRelease(t, ns, "api", 60*time.Second, "the release to start again at step 1 of the new steps", pausedAt(1, 10))
	if !slices.ContainsFunc(rel.Status.History, func(d v1alpha1.Decision) bool { return d.Reason == string(engine.ReasonStepsChanged) }) {
		t.Errorf("no %s decision in the history: %+v", engine.ReasonStepsChanged, rel.Status.History)
	}
	if w := weights(t, cl.getObject(t, vsGVK, ns, "api"), "main"); w["api-canary"] != 10 || w["api-stable"] != 90 {
		t.Fatalf("weights after the edit: %v", w)
	}
	cl.sluice(t, ns, "promote", "api")
	rel = cl.waitRelease(t, ns, "api", 60*time.Second, "promotion", phaseIs(v1alpha1.PhasePromoted))
	first := rel.Status.CanaryRevision
	cl.waitImage(t, ns, "api-stable", "example/api:2")

	// The next release: the edited steps, from step 1.
	setImage(t, cl, ns, "example/api:3", "the canary of release api")
	cl.waitRelease(t, ns, "api", 60*time.Second, "the next release at its pause", func(r *v1alpha1.Release) bool {
		return pausedAt(1, 10)(r) && r.Status.CanaryRevision != first
	})
	cl.killController(t)
	cl.startController(t)
	time.Sleep(2 * time.Second) // the new controller has reconciled by now
	cl.waitRelease(t, ns, "api", 30*time.Second, "the same pause after a restart", pausedAt(1, 10))
	cl.sluice(t, ns, "promote", "api")
	cl.waitRelease(t, ns, "api", 60*time.Second, "the next promotion", func(r *v1alpha1.Release) bool {
		return r.Status.Phase == v1alpha1.PhasePromoted && r.Status.CanaryRevision != first
	})
	cl.waitImage(t, ns, "api-stable", "example/api:3")
	if w := weights(t, cl.getObject(t, vsGVK, ns, "api"), "main"); w["api-stable"] != 100 {
		t.Fatalf("weights after the next promotion: %v", w)
	}
}
