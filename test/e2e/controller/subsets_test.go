package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/sampleapp"
)

// subsets is the hand-made Istio setup: api-v1 and api-v2 labelled
// version: v1/v2, a DestinationRule with subsets, and a VirtualService whose
// "primary" route sends 100% to v1, next to a "debug" route with a fault
// rule that Sluice must leave alone.
type subsets struct {
	ns   string
	mesh *mesh
}

func newSubsets(t *testing.T, cl *cluster, prefix string, canary sampleapp.Config) *subsets {
	t.Helper()
	return newSubsetsWith(t, cl, prefix, sampleapp.Config{Version: "v1", Latency: time.Millisecond}, canary, 80)
}

// newSubsetsWith is newSubsets with a stable of one's own and the mesh's
// request rate per second.
func newSubsetsWith(t *testing.T, cl *cluster, prefix string, stable, canary sampleapp.Config, rate int) *subsets {
	t.Helper()
	ns := cl.env.NewNamespace(t, prefix)
	cl.kubelet(t, ns)
	cl.create(t,
		deployment(ns, "api-v1", map[string]string{"app": "api", "version": "v1"}, "example/api:1"),
		deployment(ns, "api-v2", map[string]string{"app": "api", "version": "v2"}, "example/api:2"),
	)
	cl.createYAML(t, ns, `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`)
	cl.createYAML(t, ns, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - name: debug
    match:
    - headers: {x-debug: {exact: "1"}}
    fault:
      abort: {percentage: {value: 100}, httpStatus: 418}
    route:
    - destination: {host: api, subset: v1}
  - name: primary
    retries: {attempts: 3, perTryTimeout: 2s}
    route:
    - destination: {host: api, subset: v1}
      weight: 100
`)
	isCanary := func(d map[string]any) bool { return d["subset"] == "v2" }
	m := startMesh(t, cl.c, ns, "api", "primary", isCanary,
		upstream{workload: "api-v1", version: "v1"}, upstream{workload: "api-v2", version: "v2"},
		stable, canary, rate)
	return &subsets{ns: ns, mesh: m}
}

func (s *subsets) release(promURL string) string {
	return s.releaseWith(`    deployments: {stable: api-v1, canary: api-v2, scaleDownStable: true}`, `    - setWeight: 20
    - analysis: {passes: 2}
    - setWeight: 60
    - analysis: {passes: 2}`, fmt.Sprintf(`    interval: 2s
    threshold: 2
    prometheus: {address: %q}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      window: 6s`, promURL))
}

// releaseWith is the subsets release with the given workload, steps and
// analysis lines.
func (s *subsets) releaseWith(workload, steps, analysis string) string {
	return releaseYAML("api", `  workload:
`+workload+`
  traffic:
    istio:
      virtualService: api
      routes: [primary]
      destinationRule: api
      stable: {host: api, subset: v1}
      canary: {host: api, subset: v2}
  strategy:
    steps:
`+steps+`
  analysis:
`+analysis+"\n")
}

// checkUntouched checks that Sluice changed nothing but the weights.
func (s *subsets) checkUntouched(t *testing.T, cl *cluster) {
	t.Helper()
	vs := cl.getObject(t, vsGVK, s.ns, "api")
	if w := weights(t, vs, "debug"); len(w) != 1 || w["v1"] != 0 {
		t.Errorf("debug route changed: %v", w)
	}
	http := vs.Object["spec"].(map[string]any)["http"].([]any)
	debug := http[0].(map[string]any)
	if debug["name"] != "debug" || debug["fault"] == nil || debug["match"] == nil {
		t.Errorf("debug route's match or fault changed: %v", debug)
	}
	primary := http[1].(map[string]any)
	if r, _ := primary["retries"].(map[string]any); r == nil || r["attempts"] != int64(3) {
		t.Errorf("primary route's retries changed: %v", primary["retries"])
	}
}

func testSubsetsPromoted(t *testing.T, cl *cluster, s *subsets, promURL string) {
	cl.createYAML(t, s.ns, s.release(promURL))
	rel := cl.waitRelease(t, s.ns, "api", 90*time.Second, "promotion", phaseIs(v1alpha1.PhasePromoted))
	if rel.Status.Analysis.PassedChecks < 4 || rel.Status.Analysis.FailedChecks != 0 {
		t.Errorf("analysis: %+v", rel.Status.Analysis)
	}
	if w := weights(t, cl.getObject(t, vsGVK, s.ns, "api"), "primary"); w["v1"] != 100 || w["v2"] != 0 {
		t.Errorf("weights after promotion: %v, want all on v1, which runs the promoted version", w)
	}
	s.checkUntouched(t, cl)
	cl.waitImage(t, s.ns, "api-v1", "example/api:2")
	cl.waitScaled(t, s.ns, "api-v2", 0)
}

func testSubsetsRolledBack(t *testing.T, cl *cluster, s *subsets, promURL string) {
	cl.createYAML(t, s.ns, s.release(promURL))
	rel := cl.waitRelease(t, s.ns, "api", 90*time.Second, "rollback", phaseIs(v1alpha1.PhaseRolledBack))
	if rel.Status.Analysis.FailedChecks < 2 || !strings.Contains(rel.Status.Message, "canary success rate") || strings.Contains(rel.Status.Message, "no series") {
		t.Errorf("rolled back with %d failed checks, for the wrong reason? %s", rel.Status.Analysis.FailedChecks, rel.Status.Message)
	}
	if w := weights(t, cl.getObject(t, vsGVK, s.ns, "api"), "primary"); w["v1"] != 100 || w["v2"] != 0 {
		t.Errorf("weights after rollback: %v", w)
	}
	s.checkUntouched(t, cl)
	cl.waitScaled(t, s.ns, "api-v2", 0)
}
