package kubedashboard

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/dashboard"
	"sluice.dev/sluice/internal/release"
)

func TestClusterDashboard(t *testing.T) {
	f := Start(t)
	env, prom, shop, blog, unreachable := f.Env, f.Prom, f.Shop, f.Blog, f.Unreachable
	ctx := context.Background()
	shopKey, blogKey := shop+"/api", blog+"/api"

	all := StartDashboard(t, sluiceBin, env.Kubeconfig, "-A", "--prometheus-url", prom.URL)

	t.Run("both namespaces, distinct keys", func(t *testing.T) {
		var info dashboard.Info
		if code, body := all.Call(t, http.MethodGet, "/api/info", false, &info); code != http.StatusOK || !info.Namespaced {
			t.Fatalf("info: %d %s; want a namespaced dashboard", code, body)
		}
		var list dashboard.ReleaseList
		if code, body := all.Call(t, http.MethodGet, "/api/releases", false, &list); code != http.StatusOK {
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
			if p.Stable.RPS == nil || p.Canary.RPS == nil || *p.Stable.RPS < 20 || *p.Canary.RPS < 20 {
				t.Errorf("request rates stable %v canary %v; want about 100/s each", p.Stable.RPS, p.Canary.RPS)
			}
			if p.Weight != GaugeWeight {
				t.Errorf("weight %d at %v; want %d from the controller's gauge", p.Weight, p.Time, GaugeWeight)
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
		code, body := all.Call(t, http.MethodPost, "/api/releases/"+blog+"%2Fapi/pause", true, nil)
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
		if code, body := all.Call(t, http.MethodPost, "/api/releases/api/pause", true, nil); code != http.StatusBadRequest {
			t.Fatalf("a bare name on an all-namespaces dashboard: %d %s, want 400", code, body)
		}
	})

	t.Run("one namespace, bare names", func(t *testing.T) {
		one := StartDashboard(t, sluiceBin, env.Kubeconfig, "-n", shop, "--prometheus-url", prom.URL)
		var list dashboard.ReleaseList
		if code, body := one.Call(t, http.MethodGet, "/api/releases", false, &list); code != http.StatusOK || len(list.Releases) != 1 || list.Releases[0].Key != "api" || list.Releases[0].Namespace != shop {
			t.Fatalf("list: %d %s; want %s's api alone, keyed api", code, body, shop)
		}
		v := waitView(t, one, "api", 30*time.Second, func(v *dashboard.ReleaseView) bool { return len(lastWithData(v.Checks)) >= 1 })
		if v.Release.Namespace != shop {
			t.Fatalf("release view of %s/%s", v.Release.Namespace, v.Release.Name)
		}
	})

	t.Run("Prometheus is asked once per few seconds, however often the page polls", func(t *testing.T) {
		counted := CountingProxy(t, prom.URL)
		d := StartDashboard(t, sluiceBin, env.Kubeconfig, "-A", "--prometheus-url", counted.URL)
		began := time.Now()
		for range 20 {
			var v dashboard.ReleaseView
			if code, body := d.Call(t, http.MethodGet, "/api/releases/"+shop+"%2Fapi", false, &v); code != http.StatusOK {
				t.Fatalf("release view: %d %s", code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// One round is 7 range queries: rate, success and p99 for either
		// version, and the weight. 20 polls in about 2s fit in one
		// round's life, or two when a busy machine stretches them.
		rounds := 1 + int(time.Since(began)/(5*time.Second))
		if n := counted.Ranges.Load(); n < 7 || n > int64(7*(rounds+1)) {
			t.Fatalf("%d range queries for 20 polls in %s; want 7 per round of at most %d", n, time.Since(began).Round(time.Millisecond), rounds+1)
		}
	})

	t.Run("unreachable Prometheus is no data and a note", func(t *testing.T) {
		own := StartDashboard(t, sluiceBin, env.Kubeconfig, "-A")
		var v dashboard.ReleaseView
		if code, body := own.Call(t, http.MethodGet, "/api/releases/"+shop+"%2Fapi", false, &v); code != http.StatusOK {
			t.Fatalf("release view: %d %s; want the page despite Prometheus", code, body)
		}
		if len(v.Notes) != 1 || !strings.Contains(v.Notes[0], unreachable) || !strings.Contains(v.Notes[0], "unknown, not good") {
			t.Errorf("notes %q; want one naming %s", v.Notes, unreachable)
		}
		if len(v.Checks) < 2 {
			t.Fatalf("%d chart points; want the weight over the release from its history", len(v.Checks))
		}
		for _, p := range v.Checks {
			if p.Stable.SuccessRate != nil || p.Canary.SuccessRate != nil || p.Stable.P99Millis != nil || p.Canary.P99Millis != nil ||
				p.Stable.RPS != nil || p.Canary.RPS != nil {
				t.Fatalf("point %+v has figures with no Prometheus", p)
			}
		}
		if last := v.Checks[len(v.Checks)-1]; last.Weight != 20 {
			t.Errorf("last weight %d, want 20 from the history", last.Weight)
		}
		if v.Versions[1].SuccessRate != nil {
			t.Errorf("canary success rate %v with no Prometheus; want none", *v.Versions[1].SuccessRate)
		}
		if v.Health == release.HealthHealthy && strings.Contains(v.HealthReason, "success") {
			t.Errorf("health %s (%s) from no data", v.Health, v.HealthReason)
		}
		if !own.OutputHas("no metrics for the charts", 5*time.Second) {
			t.Errorf("the failure is not logged:\n%s", own.Output())
		}
	})
}

// waitView polls a release view until ok, at most within.
func waitView(t *testing.T, d *Dashboard, key string, within time.Duration, ok func(*dashboard.ReleaseView) bool) *dashboard.ReleaseView {
	t.Helper()
	path := "/api/releases/" + strings.ReplaceAll(key, "/", "%2F")
	deadline := time.Now().Add(within)
	var v dashboard.ReleaseView
	for i := 0; ; i++ {
		v = dashboard.ReleaseView{}
		code, body := d.Call(t, http.MethodGet, path, false, &v)
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
func lastWithData(pts []release.CheckPoint) []release.CheckPoint {
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
