package kubedashboard

import (
	"context"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/cli"
	"sluice.dev/sluice/internal/dashboard"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/test/e2e/envtest"
)

func i32(n int32) *int32 { return &n }

// newRelease is a Release of api-v1 / api-v2 behind an Istio route, whose
// own Prometheus address is promAddr, in the middle of its rollout: it
// started a while ago, is at 20% and has the history that says so.
func newRelease(t *testing.T, c client.Client, ns, promAddr string, startedAgo time.Duration) *v1alpha1.Release {
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
			{Time: started, Reason: "NewRevision", Message: "new canary revision bbb222"},
			{Time: started, Reason: "StepStarted", Message: "step 2/4: pause: 1s"},
			{Time: later, Reason: "StepStarted", Message: "step 3/4: setWeight: 20"},
			{Time: later, Reason: "StepStarted", Message: "step 4/4: pause"},
			{Time: later, Reason: "PausedStep", Message: "step 4/4: paused until promoted"},
		},
	}
	if err := c.Status().Update(ctx, rel); err != nil {
		t.Fatalf("writing the status of %s/api: %v", ns, err)
	}
	return rel
}

func TestClusterDashboard(t *testing.T) {
	scheme, err := cli.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(filepath.Join("..", "..", "..", "config", "crd", "bases")))
	shop, blog := env.NewNamespace(t, "shop"), env.NewNamespace(t, "blog")
	m := newMesh(shop, blog)
	// Sluice's controller metrics are scraped for shop's release only: its
	// weight comes from the gauge, blog's from its history.
	m.weight.WithLabelValues(shop, "api").Set(35)
	prom := envtest.StartPrometheus(t, []string{startMesh(t, m)})
	ctx := context.Background()
	if _, err := prom.WaitForSeries(ctx, `istio_requests_total{destination_workload_namespace="`+blog+`"}`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// The releases name an address the laptop cannot reach, as an
	// in-cluster one would be.
	unreachable := closedURL(t)
	newRelease(t, env.Client, shop, unreachable, 20*time.Second)
	newRelease(t, env.Client, blog, unreachable, 20*time.Second)
	shopKey, blogKey := shop+"/api", blog+"/api"

	all := startDashboard(t, env.Kubeconfig, "-A", "--prometheus-url", prom.URL)

	t.Run("both namespaces, distinct keys", func(t *testing.T) {
		var info dashboard.Info
		if code, body := all.call(t, http.MethodGet, "/api/info", false, &info); code != http.StatusOK || !info.Namespaced {
			t.Fatalf("info: %d %s; want a namespaced dashboard", code, body)
		}
		var list dashboard.ReleaseList
		if code, body := all.call(t, http.MethodGet, "/api/releases", false, &list); code != http.StatusOK {
			t.Fatalf("list: %d %s", code, body)
		}
		var keys []string
		for _, r := range list.Releases {
			keys = append(keys, r.Key)
			if r.Name != "api" || r.CanaryWeight != 20 || r.Stable != "api-v1" || r.Canary != "api-v2" || r.Phase != v1alpha1.PhasePaused {
				t.Errorf("summary %+v; want api at 20%%, api-v1 → api-v2, Paused", r)
			}
		}
		want := []string{shopKey, blogKey}
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Fatalf("keys %v, want %v", keys, want)
		}
	})

	t.Run("charts from Prometheus", func(t *testing.T) {
		v := waitView(t, all, shopKey, 45*time.Second, func(v *dashboard.ReleaseView) bool {
			return len(lastWithData(v.Checks)) >= 2
		})
		if len(v.Notes) > 0 {
			t.Errorf("notes %q; want none with Prometheus reachable", v.Notes)
		}
		start := v.Release.Status.StartedAt.Time
		for i, p := range v.Checks {
			if p.Time.Before(start.Add(-5*time.Second)) || p.Time.After(time.Now()) {
				t.Errorf("point %d at %v, outside the release's life from %v", i, p.Time, start)
			}
			if i > 0 && !p.Time.After(v.Checks[i-1].Time) {
				t.Errorf("point %d at %v, not after the one before", i, p.Time)
			}
		}
		for _, p := range lastWithData(v.Checks) {
			near(t, "stable success rate", *p.Stable.SuccessRate, 100, 0.01)
			near(t, "canary success rate", *p.Canary.SuccessRate, 95, 0.01)
			near(t, "stable p99", *p.Stable.P99Millis, 9.95, 0.05)
			near(t, "canary p99", *p.Canary.P99Millis, 235, 0.5)
			if p.Stable.RPS < 20 || p.Canary.RPS < 20 {
				t.Errorf("request rates stable %v canary %v; want about 100/s each", p.Stable.RPS, p.Canary.RPS)
			}
			if p.Weight != 35 {
				t.Errorf("weight %d at %v; want 35 from the controller's gauge", p.Weight, p.Time)
			}
		}
		canary := v.Versions[1]
		if canary.Name != "canary" || canary.SuccessRate == nil || math.Abs(*canary.SuccessRate-95) > 0.01 {
			t.Errorf("canary figures %+v; want the last point's 95%%", canary)
		}
		// blog's release: same mesh figures, weight from its history.
		b := waitView(t, all, blogKey, 30*time.Second, func(v *dashboard.ReleaseView) bool {
			return len(lastWithData(v.Checks)) >= 1
		})
		for _, p := range b.Checks {
			if p.Weight != 20 && p.Weight != 10 {
				t.Errorf("blog weight %d at %v; want 10 then 20 from the history", p.Weight, p.Time)
			}
		}
		if last := b.Checks[len(b.Checks)-1]; last.Weight != 20 {
			t.Errorf("blog's last weight %d, want 20", last.Weight)
		}
	})

	t.Run("commands go to the release's namespace", func(t *testing.T) {
		code, body := all.call(t, http.MethodPost, "/api/releases/"+blog+"%2Fapi/pause", true, nil)
		if code != http.StatusAccepted {
			t.Fatalf("pause %s: %d %s", blogKey, code, body)
		}
		var b, s v1alpha1.Release
		if err := env.Client.Get(ctx, types.NamespacedName{Namespace: blog, Name: "api"}, &b); err != nil || !b.Spec.Paused {
			t.Fatalf("%s paused=%v (%v); want paused", blogKey, b.Spec.Paused, err)
		}
		if err := env.Client.Get(ctx, types.NamespacedName{Namespace: shop, Name: "api"}, &s); err != nil || s.Spec.Paused {
			t.Fatalf("%s paused=%v (%v); want it left alone", shopKey, s.Spec.Paused, err)
		}
		if code, body := all.call(t, http.MethodPost, "/api/releases/api/pause", true, nil); code != http.StatusBadRequest {
			t.Fatalf("a bare name on an all-namespaces dashboard: %d %s, want 400", code, body)
		}
	})

	t.Run("one namespace, bare names", func(t *testing.T) {
		one := startDashboard(t, env.Kubeconfig, "-n", shop, "--prometheus-url", prom.URL)
		var list dashboard.ReleaseList
		if code, body := one.call(t, http.MethodGet, "/api/releases", false, &list); code != http.StatusOK || len(list.Releases) != 1 || list.Releases[0].Key != "api" || list.Releases[0].Namespace != shop {
			t.Fatalf("list: %d %s; want %s's api alone, keyed api", code, body, shop)
		}
		v := waitView(t, one, "api", 30*time.Second, func(v *dashboard.ReleaseView) bool { return len(lastWithData(v.Checks)) >= 1 })
		if v.Release.Namespace != shop {
			t.Fatalf("release view of %s/%s", v.Release.Namespace, v.Release.Name)
		}
	})

	t.Run("Prometheus is asked once per few seconds, however often the page polls", func(t *testing.T) {
		counted := countingProxy(t, prom.URL)
		d := startDashboard(t, env.Kubeconfig, "-A", "--prometheus-url", counted.url)
		began := time.Now()
		for range 20 {
			var v dashboard.ReleaseView
			if code, body := d.call(t, http.MethodGet, "/api/releases/"+shop+"%2Fapi", false, &v); code != http.StatusOK {
				t.Fatalf("release view: %d %s", code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// One round is 7 range queries: rate, success and p99 for either
		// version, and the weight. 20 polls in about 2s fit in one
		// round's life, or two when a busy machine stretches them.
		rounds := 1 + int(time.Since(began)/(5*time.Second))
		if n := counted.ranges.Load(); n < 7 || n > int64(7*(rounds+1)) {
			t.Fatalf("%d range queries for 20 polls in %s; want 7 per round of at most %d", n, time.Since(began).Round(time.Millisecond), rounds+1)
		}
	})

	t.Run("unreachable Prometheus is no data and a note", func(t *testing.T) {
		own := startDashboard(t, env.Kubeconfig, "-A")
		var v dashboard.ReleaseView
		if code, body := own.call(t, http.MethodGet, "/api/releases/"+shop+"%2Fapi", false, &v); code != http.StatusOK {
			t.Fatalf("release view: %d %s; want the page despite Prometheus", code, body)
		}
		if len(v.Notes) != 1 || !strings.Contains(v.Notes[0], unreachable) || !strings.Contains(v.Notes[0], "unknown, not good") {
			t.Errorf("notes %q; want one naming %s", v.Notes, unreachable)
		}
		if len(v.Checks) < 2 {
			t.Fatalf("%d chart points; want the weight over the release from its history", len(v.Checks))
		}
		for _, p := range v.Checks {
			if p.Stable.SuccessRate != nil || p.Canary.SuccessRate != nil || p.Stable.P99Millis != nil || p.Canary.P99Millis != nil {
				t.Fatalf("point %+v has figures with no Prometheus", p)
			}
		}
		if last := v.Checks[len(v.Checks)-1]; last.Weight != 20 {
			t.Errorf("last weight %d, want 20 from the history", last.Weight)
		}
		if v.Versions[1].SuccessRate != nil {
			t.Errorf("canary success rate %v with no Prometheus; want none", *v.Versions[1].SuccessRate)
		}
		if v.Health == dashboard.HealthHealthy && strings.Contains(v.HealthReason, "success") {
			t.Errorf("health %s (%s) from no data", v.Health, v.HealthReason)
		}
		if !strings.Contains(own.out.String(), "no metrics for the charts") {
			t.Errorf("the failure is not logged:\n%s", own.out.String())
		}
	})
}

// waitView polls a release view until ok, at most within.
func waitView(t *testing.T, d *dashboardProc, key string, within time.Duration, ok func(*dashboard.ReleaseView) bool) *dashboard.ReleaseView {
	t.Helper()
	path := "/api/releases/" + strings.ReplaceAll(key, "/", "%2F")
	deadline := time.Now().Add(within)
	var v dashboard.ReleaseView
	for i := 0; ; i++ {
		v = dashboard.ReleaseView{}
		code, body := d.call(t, http.MethodGet, path, false, &v)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		if ok(&v) {
			return &v
		}
		if time.Now().After(deadline) || i > 200 {
			t.Fatalf("release %s after %s: notes %q, %d points: %+v", key, within, v.Notes, len(v.Checks), v.Checks)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// lastWithData is the run of newest points where both versions have a
// success rate and a p99.
func lastWithData(pts []local.CheckPoint) []local.CheckPoint {
	i := len(pts)
	for i > 0 {
		p := pts[i-1]
		if p.Stable.SuccessRate == nil || p.Canary.SuccessRate == nil || p.Stable.P99Millis == nil || p.Canary.P99Millis == nil {
			break
		}
		i--
	}
	return pts[i:]
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}
