package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/test/e2e/envtest"
)

// lifecycleForm is one workload form with the traffic object it drives.
type lifecycleForm struct {
	name string
	// setup creates the namespace's objects and the mesh; the Release is
	// created with workload and traffic (YAML under spec).
	setup func(t *testing.T, cl *cluster, ns string) *releaseMesh
	spec  string
	// stable and canary are the Deployments that serve each side.
	stable, canary string
	// gitOps says the first release starts from `set image` on the target.
	gitOps bool
}

// lifecycleAnalysis is what every release of the lifecycle test runs:
// two weights, each held until two checks in a row pass.
func lifecycleAnalysis(prom string) string {
	return fmt.Sprintf(`  strategy:
    steps:
    - setWeight: 20
    - analysis: {passes: 2}
    - setWeight: 60
    - analysis: {passes: 2}
  analysis:
    interval: 2s
    threshold: 2
    prometheus: {address: %q}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      window: 6s
`, prom)
}

var lifecycleForms = []lifecycleForm{
	{
		name:   "two deployments behind DestinationRule subsets, scaleDownStable",
		stable: "api-v1", canary: "api-v2",
		setup: func(t *testing.T, cl *cluster, ns string) *releaseMesh {
			cl.create(t,
				deployment(ns, "api-v1", map[string]string{"app": "api", "version": "v1"}, "example/api:1"),
				deployment(ns, "api-v2", map[string]string{"app": "api", "version": "v2"}, "example/api:2"))
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
  - name: primary
    route:
    - destination: {host: api, subset: v1}
      weight: 100
`)
			return startReleaseMesh(t, cl, ns, vsGVK, "api", vsWeight("primary", func(d map[string]any) bool { return d["subset"] == "v2" }),
				meshWorkload{"api-v1", "v1"}, meshWorkload{"api-v2", "v2"}, 80)
		},
		spec: `  workload:
    deployments: {stable: api-v1, canary: api-v2, scaleDownStable: true}
  traffic:
    istio:
      virtualService: api
      routes: [primary]
      destinationRule: api
      stable: {host: api, subset: v1}
      canary: {host: api, subset: v2}
`,
	},
	{
		name:   "two deployments behind two Services, an HTTPRoute",
		stable: "api-stable", canary: "api-canary",
		setup: func(t *testing.T, cl *cluster, ns string) *releaseMesh {
			cl.create(t,
				deployment(ns, "api-stable", map[string]string{"app": "api", "track": "stable"}, "example/api:1"),
				deployment(ns, "api-canary", map[string]string{"app": "api", "track": "canary"}, "example/api:2"))
			cl.createYAML(t, ns, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: gateway}]
  rules:
  - name: main
    backendRefs:
    - {name: api-stable, port: 80, weight: 100}
`)
			return startReleaseMesh(t, cl, ns, routeGVK, "api", routeWeight("api-canary"),
				meshWorkload{"api-stable", "stable"}, meshWorkload{"api-canary", "canary"}, 80)
		},
		spec: `  workload:
    deployments: {stable: api-stable, canary: api-canary}
  traffic:
    gatewayAPI: {httpRoute: api, stableService: api-stable, canaryService: api-canary}
`,
	},
	{
		name:   "one Deployment in Git with a -primary copy",
		stable: "api-primary", canary: "api-canary", gitOps: true,
		setup: func(t *testing.T, cl *cluster, ns string) *releaseMesh {
			cl.create(t, deployment(ns, "api", map[string]string{"app": "api"}, "example/api:1"))
			cl.createYAML(t, ns, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - name: main
    route:
    - destination: {host: api-primary}
      weight: 100
`)
			return startReleaseMesh(t, cl, ns, vsGVK, "api", vsWeight("main", func(d map[string]any) bool { return d["host"] == "api-canary" }),
				meshWorkload{"api-primary", ""}, meshWorkload{"api-canary", ""}, 80)
		},
		spec: `  workload:
    target: {deployment: api, port: 80, targetPort: 8080}
  traffic:
    istio:
      virtualService: api
      stable: {host: api-primary}
      canary: {host: api-canary}
`,
	},
}

// TestReleasesInARow runs, for each workload form, three releases of one
// service on a real API server with the controller and Prometheus: a new
// version promoted; `sluice set image` to a faulty one, rolled back; a
// third set image, promoted. At every revision of the VirtualService or
// HTTPRoute it records which image each weight reaches, and checks that
// traffic never reaches a version older than the last promoted one and
// that the faulty image never gets past its first step's weight. A last
// case stops Prometheus during a timed pause: nothing is promoted.
func TestReleasesInARow(t *testing.T) {
	cl := startCluster(t, "http://127.0.0.1:9")
	type prepared struct {
		form lifecycleForm
		ns   string
		mesh *releaseMesh
	}
	var cases []prepared
	var targets []string
	for i, f := range lifecycleForms {
		ns := cl.env.NewNamespace(t, fmt.Sprintf("row%d", i))
		cl.kubelet(t, ns)
		m := f.setup(t, cl, ns)
		cases = append(cases, prepared{form: f, ns: ns, mesh: m})
		targets = append(targets, m.Addr)
	}
	down := newPrometheusDown(t, cl)
	prom := envtest.StartPrometheus(t, targets)
	t.Run("forms", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.form.name, func(t *testing.T) {
				t.Parallel()
				threeReleases(t, cl, c.form, c.ns, c.mesh, prom.URL)
			})
		}
		t.Run("prometheus stopped during a timed pause", func(t *testing.T) {
			t.Parallel()
			down.run(t, cl)
		})
	})
}

func threeReleases(t *testing.T, cl *cluster, f lifecycleForm, ns string, m *releaseMesh, prom string) {
	cl.createYAML(t, ns, releaseYAML("api", f.spec+lifecycleAnalysis(prom)))
	started := time.Now()
	var rev string
	if f.gitOps {
		rel := cl.waitRelease(t, ns, "api", 60*time.Second, "the primary copy", phaseIs(v1alpha1.PhaseWaiting))
		rev = rel.Status.CanaryRevision
		setImage(t, cl, ns, "example/api:2", "the target of release api")
		started = time.Now()
	}
	ended := func(p v1alpha1.Phase, prev string) func(*v1alpha1.Release) bool {
		return func(r *v1alpha1.Release) bool {
			return r.Status.Phase == p && r.Status.CanaryRevision != prev && r.Status.CanaryRevision != ""
		}
	}
	rel := cl.waitRelease(t, ns, "api", 120*time.Second, "release 1 promoted", ended(v1alpha1.PhasePromoted, rev))
	t.Logf("release 1 (example/api:2) promoted in %s", time.Since(started).Round(100*time.Millisecond))
	promoted1 := time.Now()
	rev = rel.Status.CanaryRevision

	where := "the canary of release api"
	if f.gitOps {
		where = "the target of release api"
	}
	started = time.Now()
	setImage(t, cl, ns, "example/api:3-bad", where)
	rel = cl.waitRelease(t, ns, "api", 120*time.Second, "release 2 rolled back", ended(v1alpha1.PhaseRolledBack, rev))
	t.Logf("release 2 (example/api:3-bad) rolled back in %s: %s", time.Since(started).Round(100*time.Millisecond), rel.Status.Message)
	if !strings.Contains(rel.Status.Message, "canary success rate") {
		t.Errorf("release 2 rolled back for another reason: %s", rel.Status.Message)
	}
	rev = rel.Status.CanaryRevision

	started = time.Now()
	setImage(t, cl, ns, "example/api:4", where)
	cl.waitRelease(t, ns, "api", 120*time.Second, "release 3 promoted", ended(v1alpha1.PhasePromoted, rev))
	t.Logf("release 3 (example/api:4) promoted in %s", time.Since(started).Round(100*time.Millisecond))
	promoted3 := time.Now()

	cl.waitImage(t, ns, f.stable, "example/api:4")
	cl.waitScaled(t, ns, f.canary, 0)
	time.Sleep(500 * time.Millisecond)
	checkRoutes(t, m.history(), promoted1, promoted3)
}

// checkRoutes checks every recorded revision of the traffic object.
func checkRoutes(t *testing.T, records []routeRecord, promoted1, promoted3 time.Time) {
	t.Helper()
	if len(records) < 6 {
		t.Fatalf("only %d revisions of the traffic object were seen", len(records))
	}
	var seen []string
	for _, r := range records {
		seen = append(seen, fmt.Sprintf("%s:%d%%→%s|%s", r.revision, r.weight, short(r.stableImage), short(r.canaryImage)))
		if r.weight < 0 || r.weight > 100 {
			t.Errorf("revision %s: weight %d", r.revision, r.weight)
		}
		reached := r.reaches()
		if r.at.After(promoted1) && slices.Contains(reached, "example/api:1") {
			t.Errorf("revision %s sends traffic to example/api:1 after example/api:2 was promoted (weight %d, stable %s, canary %s)", r.revision, r.weight, r.stableImage, r.canaryImage)
		}
		if r.at.After(promoted3) && slices.ContainsFunc(reached, func(img string) bool { return img != "example/api:4" }) {
			t.Errorf("revision %s sends traffic to %v after example/api:4 was promoted", r.revision, reached)
		}
		if r.canaryImage == "example/api:3-bad" && r.weight > 20 {
			t.Errorf("revision %s gives the faulty image %d%%, more than its first step's 20%%", r.revision, r.weight)
		}
	}
	t.Logf("%d revisions of the traffic object (revision:canary weight→stable image|canary image): %s", len(records), strings.Join(seen, " "))
}

func short(image string) string {
	if i := strings.LastIndex(image, ":"); i >= 0 {
		return image[i+1:]
	}
	return image
}

// setImage runs `sluice set image` as a person would.
func setImage(t *testing.T, cl *cluster, ns, image, where string) {
	t.Helper()
	out := cl.sluice(t, ns, "set", "image", "api", "app="+image)
	if !strings.Contains(out, "image set") || !strings.Contains(out, where) {
		t.Fatalf("set image %s: %s", image, out)
	}
}

// prometheusDown is the outage case: a release whose Prometheus stops
// while it waits in its last, timed pause.
type prometheusDown struct {
	ns   string
	prom *envtest.Prometheus
}

func newPrometheusDown(t *testing.T, cl *cluster) *prometheusDown {
	t.Helper()
	ns := cl.env.NewNamespace(t, "promdown")
	cl.kubelet(t, ns)
	f := lifecycleForms[0]
	m := f.setup(t, cl, ns)
	return &prometheusDown{ns: ns, prom: envtest.StartPrometheus(t, []string{m.Addr})}
}

func (p *prometheusDown) run(t *testing.T, cl *cluster) {
	cl.createYAML(t, p.ns, releaseYAML("api", lifecycleForms[0].spec+fmt.Sprintf(`  strategy:
    steps:
    - setWeight: 20
    - analysis: {passes: 1}
    - setWeight: 50
    - pause: {duration: 8s}
  analysis:
    interval: 2s
    threshold: 2
    noDataTimeout: 6s
    prometheus: {address: %q}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      window: 6s
`, p.prom.URL)))
	cl.waitRelease(t, p.ns, "api", 90*time.Second, "the timed pause", func(r *v1alpha1.Release) bool {
		return r.Status.Phase == v1alpha1.PhaseProgressing && r.Status.StepIndex == 3
	})
	if err := p.prom.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	deadline := stopped.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var rel v1alpha1.Release
		if err := cl.c.Get(context.Background(), types.NamespacedName{Namespace: p.ns, Name: "api"}, &rel); err != nil {
			t.Fatal(err)
		}
		switch rel.Status.Phase {
		case v1alpha1.PhasePromoting, v1alpha1.PhasePromoted:
			t.Fatalf("promoted %s after Prometheus stopped: %s", time.Since(stopped).Round(100*time.Millisecond), rel.Status.Message)
		case v1alpha1.PhaseRolledBack:
			t.Logf("Prometheus down in the pause: rolled back %s after it stopped: %s", time.Since(stopped).Round(100*time.Millisecond), rel.Status.Message)
			if !strings.Contains(rel.Status.Message, "noDataTimeout") {
				t.Errorf("rolled back for another reason: %s", rel.Status.Message)
			}
			var stable appsv1.Deployment
			if err := cl.c.Get(context.Background(), types.NamespacedName{Namespace: p.ns, Name: "api-v1"}, &stable); err != nil {
				t.Fatal(err)
			}
			if img := stable.Spec.Template.Spec.Containers[0].Image; img != "example/api:1" {
				t.Errorf("stable runs %s after the rollback", img)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the release neither rolled back nor promoted within a minute of the outage")
}
