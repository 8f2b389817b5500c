package kubedashboard

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/cli"
	"sluice.dev/sluice/test/e2e/envtest"
)

// Fixture is a cluster with a Release "api" paused at 20% in each of two
// namespaces, and a Prometheus scraping a Mesh of both. Sluice's weight
// gauge is scraped for Shop's release only (at 35%, to tell it from the
// status' 20%): Blog's weight comes from its history.
type Fixture struct {
	Env  *envtest.Env
	Prom *envtest.Prometheus
	Mesh *Mesh
	// Shop and Blog are the namespaces.
	Shop, Blog string
	// Unreachable is the Prometheus address the releases name themselves,
	// as an in-cluster address a laptop cannot reach.
	Unreachable string
}

// GaugeWeight is the weight the controller's gauge says for Shop's release.
const GaugeWeight = 35

// Start runs the fixture, from a test directory under test/e2e, until the
// test ends; the releases started 20 seconds ago.
func Start(t testing.TB) *Fixture {
	t.Helper()
	scheme, err := cli.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(filepath.Join("..", "..", "..", "config", "crd", "bases")))
	f := &Fixture{Env: env, Shop: env.NewNamespace(t, "shop"), Blog: env.NewNamespace(t, "blog")}
	f.Mesh = NewMesh(f.Shop, f.Blog)
	f.Mesh.Weight.WithLabelValues(f.Shop, "api").Set(GaugeWeight)
	f.Prom = envtest.StartPrometheus(t, []string{StartMesh(t, f.Mesh)})
	if _, err := f.Prom.WaitForSeries(context.Background(), `istio_requests_total{destination_workload_namespace="`+f.Blog+`"}`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	f.Unreachable = ClosedURL(t)
	newRelease(t, env.Client, f.Shop, f.Unreachable, 20*time.Second)
	newRelease(t, env.Client, f.Blog, f.Unreachable, 20*time.Second)
	return f
}

func i32(n int32) *int32 { return &n }

// newRelease is a Release of api-v1 / api-v2 behind an Istio route, whose
// own Prometheus address is promAddr, in the middle of its rollout: it
// started a while ago, is at 20% and has the history that says so.
func newRelease(t testing.TB, c client.Client, ns, promAddr string, startedAgo time.Duration) *v1alpha1.Release {
	t.Helper()
	win := &metav1.Duration{Duration: 5 * time.Second}
	minRate, maxMs := 99.0, 500.0
	rel := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"},
		Spec: v1alpha1.ReleaseSpec{
			Workload: v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}},
			Traffic: v1alpha1.TrafficSpec{Istio: &v1alpha1.IstioTraffic{
				VirtualService: "api",
				Stable:         v1alpha1.IstioDestination{Host: "api-v1"},
				Canary:         v1alpha1.IstioDestination{Host: "api-v2"},
			}},
			Strategy: v1alpha1.Strategy{Steps: []v1alpha1.Step{
				{SetWeight: i32(10)}, {Pause: &v1alpha1.PauseStep{Duration: &metav1.Duration{Duration: time.Second}}},
				{SetWeight: i32(20)}, {Pause: &v1alpha1.PauseStep{}},
			}},
			Analysis: v1alpha1.Analysis{
				Prometheus: &v1alpha1.PrometheusSource{Address: promAddr},
				Metrics: []v1alpha1.MetricCheck{
					{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: &minRate}, Window: win},
					{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: &maxMs}, Window: win},
				},
			},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Create(ctx, rel); err != nil {
		t.Fatalf("creating release %s/api: %v", ns, err)
	}
	started := metav1.NewTime(time.Now().Add(-startedAgo).Truncate(time.Second))
	later := metav1.NewTime(started.Add(2 * time.Second))
	rel.Status = v1alpha1.ReleaseStatus{
		Phase: v1alpha1.PhasePaused, Message: "step 4/4: paused until promoted",
		StepIndex: 3, StepCount: 4, CanaryWeight: 20, StepStartedAt: &later,
		StableRevision: "aaa111", CanaryRevision: "bbb222", StartedAt: &started,
		History: []v1alpha1.Decision{
			{Time: started, Reason: "NewRevision", Message: "new canary revision bbb222", CanaryWeight: 10, Revision: "bbb222"},
			{Time: started, Reason: "StepStarted", Message: "step 2/4: pause: 1s", CanaryWeight: 10, Step: 2},
			{Time: later, Reason: "StepStarted", Message: "step 3/4: setWeight: 20", CanaryWeight: 20, Step: 3},
			{Time: later, Reason: "StepStarted", Message: "step 4/4: pause", CanaryWeight: 20, Step: 4},
			{Time: later, Reason: "PausedStep", Message: "step 4/4: paused until promoted", CanaryWeight: 20, Step: 4},
		},
	}
	if err := c.Status().Update(ctx, rel); err != nil {
		t.Fatalf("writing the status of %s/api: %v", ns, err)
	}
	return rel
}
