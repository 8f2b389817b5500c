package grafana

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/telemetry/telemetrytest"
	"sluice.dev/sluice/test/e2e/envtest"
)

// view is one way a person looks at the dashboard: the variables they
// choose, and the workloads the hidden variables must resolve to.
type view struct {
	namespace, release string
	stable, canary     string
	// endPhase is the phase the release ends in.
	endPhase v1alpha1.Phase
}

var views = []view{
	{namespace: "shop", release: "api", stable: "api-primary", canary: "api-canary", endPhase: v1alpha1.PhasePromoted},
	{namespace: "shop", release: "web", stable: "web-v1", canary: "web-v2", endPhase: v1alpha1.PhaseRolledBack},
	{namespace: allNamespaces, release: "api", stable: "api-primary", canary: "api-canary", endPhase: v1alpha1.PhasePromoted},
	{namespace: allNamespaces, release: "web", stable: "web-v1", canary: "web-v2", endPhase: v1alpha1.PhaseRolledBack},
}

// allNamespaces is the namespace variable's "All" value.
const allNamespaces = ".*"

// TestDashboardQueries runs two releases through the engine while a real
// Prometheus scrapes their metrics, then runs every query of the dashboard
// for each view and requires data from each.
func TestDashboardQueries(t *testing.T) {
	d := loadDashboard(t)
	exp := newExporter(t)
	prom := envtest.StartPrometheus(t, []string{exp.listen(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := prom.WaitForSeries(ctx, `up{job="`+envtest.ScrapeJob+`"} == 1`, 45*time.Second); err != nil {
		t.Fatalf("the exporter is not scraped: %v", err)
	}

	// Two releases on the real clock, checks every second: "api" (the
	// GitOps target form) is promoted, "web" (two Deployments) fails two
	// checks and rolls back.
	start := time.Now()
	exp.add(t, telemetrytest.NewSim("shop", "api",
		v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "api", Port: 8080}},
		[]int32{10, 30, 50}, time.Second, 2, start))
	web := telemetrytest.NewSim("shop", "web",
		v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "web-v1", Canary: "web-v2"}},
		[]int32{20, 40}, time.Second, 2, start)
	web.Checks = []v1alpha1.CheckVerdict{v1alpha1.VerdictPass, v1alpha1.VerdictFail, v1alpha1.VerdictNoData, v1alpha1.VerdictFail}
	exp.add(t, web)
	for !exp.step(time.Now()) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the releases did not end within 30s")
		}
		exp.load(t)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("releases ended after %s", time.Since(start).Round(time.Millisecond))
	for _, v := range views[:2] {
		q := fmt.Sprintf(`sluice_release_phase{namespace=%q,release=%q,phase=%q} == 1`, v.namespace, v.release, v.endPhase)
		if _, err := prom.WaitForSeries(ctx, q, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// A few samples of the ended releases, as a person would see them,
	// with traffic still flowing.
	for tail := time.Now(); time.Since(tail) < 3*time.Second; {
		exp.load(t)
		time.Sleep(200 * time.Millisecond)
	}
	end := time.Now()

	for _, v := range views {
		name := v.release + " in " + v.namespace
		if v.namespace == allNamespaces {
			name = v.release + " in all namespaces"
		}
		t.Run(name, func(t *testing.T) {
			vars := resolve(ctx, t, prom, d, v, start, end)
			for _, q := range d.queries() {
				t.Run(q.Where, func(t *testing.T) {
					expr := substitute(t, q.Expr, vars)
					res := run(ctx, t, prom, q, expr, start, end)
					if !hasData(res) {
						t.Fatalf("no data for %s\n(expression as written: %s)", expr, q.Expr)
					}
					if check, ok := checks[q.Where]; ok {
						check(t, v, res)
					}
				})
			}
		})
	}
}

// resolve sets the variables as Grafana would for a view: the built-in
// intervals for a 1s scrape interval and the test's time range, and each
// query variable from its label_values query against Prometheus, in the
// dashboard's order, so later variables see the earlier ones.
func resolve(ctx context.Context, t *testing.T, prom *envtest.Prometheus, d dashboard, v view, start, end time.Time) map[string]string {
	t.Helper()
	vars := map[string]string{
		// Grafana's $__rate_interval is at least four scrape intervals.
		"__rate_interval": "5s",
		"__interval":      "1s",
		"__range":         fmt.Sprintf("%ds", int(math.Ceil(end.Sub(start).Seconds()))+1),
	}
	chosen := map[string]string{"namespace": v.namespace, "release": v.release}
	only := map[string]string{"release_namespace": "shop", "stable": v.stable, "canary": v.canary}
	for _, tv := range d.Templating.List {
		if tv.Type != "query" {
			continue
		}
		selector, label := parseLabelValues(t, tv.Definition)
		var match []string
		if selector != "" {
			match = []string{substitute(t, selector, vars)}
		}
		values, warnings, infos, err := prom.API.LabelValues(ctx, label, match, start, end)
		if err != nil || len(warnings) > 0 || len(infos) > 0 {
			t.Fatalf("variable %s: %s: %v %v %v", tv.Name, tv.Definition, err, warnings, infos)
		}
		got := make([]string, 0, len(values))
		for _, lv := range values {
			got = append(got, string(lv))
		}
		switch want := chosen[tv.Name]; {
		case want == allNamespaces:
			if !tv.IncludeAll || tv.AllValue != allNamespaces || len(got) == 0 {
				t.Fatalf("variable %s: All is not offered as %q, or there are no values (%v)", tv.Name, allNamespaces, got)
			}
			vars[tv.Name] = allNamespaces
		case want != "":
			if !slices.Contains(got, want) {
				t.Fatalf("variable %s offers %v, not %q", tv.Name, got, want)
			}
			vars[tv.Name] = want
		case only[tv.Name] != "":
			if len(got) != 1 || got[0] != only[tv.Name] {
				t.Fatalf("variable %s resolves to %v, want [%s]", tv.Name, got, only[tv.Name])
			}
			vars[tv.Name] = got[0]
		default:
			t.Fatalf("variable %s: the test does not know what to choose", tv.Name)
		}
	}
	return vars
}

var labelValuesQuery = regexp.MustCompile(`^label_values\((?:(.*),\s*)?(\w+)\)$`)

// parseLabelValues reads Grafana's label_values(selector, label) form.
func parseLabelValues(t *testing.T, def string) (selector, label string) {
	t.Helper()
	m := labelValuesQuery.FindStringSubmatch(strings.TrimSpace(def))
	if m == nil {
		t.Fatalf("variable query %q is not label_values(selector, label)", def)
	}
	return m[1], m[2]
}

// substitute fills in the variables, failing on any unknown one.
func substitute(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := strings.Trim(ref, "${}[]")
		v, ok := vars[name]
		if !ok {
			t.Fatalf("%s: no value for $%s", s, name)
		}
		return v
	})
	if strings.Contains(out, "$") {
		t.Fatalf("%s: a variable is left after substitution: %s", s, out)
	}
	return out
}

// run sends the query as the panel would: an instant query at the end of
// the range, or a range query over it with a 1s step. Parse errors, and
// Prometheus' warnings and notes (such as rate() of what looks like a
// gauge), fail the test.
func run(ctx context.Context, t *testing.T, prom *envtest.Prometheus, q query, expr string, start, end time.Time) model.Value {
	t.Helper()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var (
		res      model.Value
		warnings promv1.Warnings
		infos    promv1.Infos
		err      error
	)
	if q.Instant {
		res, warnings, infos, err = prom.API.Query(qctx, expr, end)
	} else {
		res, warnings, infos, err = prom.API.QueryRange(qctx, expr, promv1.Range{Start: start, End: end, Step: time.Second})
	}
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(warnings) > 0 || len(infos) > 0 {
		t.Errorf("%s: warnings %v, notes %v", expr, warnings, infos)
	}
	return res
}

// hasData reports whether a result holds at least one finite value.
func hasData(v model.Value) bool {
	found := false
	eachValue(v, func(_ model.Metric, f float64) {
		found = found || !math.IsNaN(f) && !math.IsInf(f, 0)
	})
	return found
}

func eachValue(v model.Value, fn func(model.Metric, float64)) {
	switch v := v.(type) {
	case model.Vector:
		for _, s := range v {
			fn(s.Metric, float64(s.Value))
		}
	case model.Matrix:
		for _, ss := range v {
			for _, p := range ss.Values {
				fn(ss.Metric, float64(p.Value))
			}
		}
	case *model.Scalar:
		fn(nil, float64(v.Value))
	}
}

// checks test that a few panels show what happened, not just something.
var checks = map[string]func(*testing.T, view, model.Value){
	`panel "Phase" A`: func(t *testing.T, v view, res model.Value) {
		var phases []string
		eachValue(res, func(m model.Metric, _ float64) { phases = append(phases, string(m["phase"])) })
		if len(phases) != 1 || phases[0] != string(v.endPhase) {
			t.Errorf("phase %v, want [%s]", phases, v.endPhase)
		}
	},
	`panel "Success rate" A`: func(t *testing.T, _ view, res model.Value) {
		eachValue(res, func(_ model.Metric, f float64) {
			if !math.IsNaN(f) && math.Abs(f-100) > 1e-9 {
				t.Errorf("stable success rate %v, want 100: only the canary fails requests", f)
			}
		})
	},
	`panel "Success rate" B`: func(t *testing.T, _ view, res model.Value) {
		eachValue(res, func(_ model.Metric, f float64) {
			if !math.IsNaN(f) && (f < 85 || f > 99) {
				t.Errorf("canary success rate %v, want about 95", f)
			}
		})
	},
	// Stable answers in 8ms, the canary's slowest 5% in 180ms: Istio's
	// buckets put the p99s in (5, 10] and (100, 250].
	`panel "p99 latency" A`: func(t *testing.T, _ view, res model.Value) {
		eachValue(res, func(_ model.Metric, f float64) {
			if !math.IsNaN(f) && (f <= 5 || f > 10) {
				t.Errorf("stable p99 %vms, want within (5, 10]", f)
			}
		})
	},
	`panel "p99 latency" B`: func(t *testing.T, _ view, res model.Value) {
		eachValue(res, func(_ model.Metric, f float64) {
			if !math.IsNaN(f) && (f <= 100 || f > 250) {
				t.Errorf("canary p99 %vms, want within (100, 250]", f)
			}
		})
	},
	`panel "Proxy success rate" A`: func(t *testing.T, _ view, res model.Value) {
		// A window with few canary requests may hold none of its errors,
		// so the canary must fail some of the time, not all of it.
		lowest := map[string]float64{}
		eachValue(res, func(m model.Metric, f float64) {
			v := string(m["version"])
			if _, ok := lowest[v]; !ok {
				lowest[v] = 100
			}
			if !math.IsNaN(f) {
				lowest[v] = min(lowest[v], f)
			}
		})
		if math.Abs(lowest["stable"]-100) > 1e-9 || lowest["canary"] < 80 || lowest["canary"] > 99.9 {
			t.Errorf("lowest success rates through the proxy %v, want 100 for stable and about 95 for the canary", lowest)
		}
	},
	`panel "Failed checks and rollbacks" B`: func(t *testing.T, _ view, res model.Value) {
		most := map[string]float64{}
		eachValue(res, func(m model.Metric, f float64) { most[string(m["release"])] = max(most[string(m["release"])], f) })
		if most["web"] < 0.5 || most["api"] != 0 {
			t.Errorf("most rollbacks in a window %v, want web's and none of api's", most)
		}
	},
	`annotation "Release ended"`: func(t *testing.T, v view, res model.Value) {
		eachValue(res, func(m model.Metric, _ float64) {
			if m["phase"] != model.LabelValue(v.endPhase) {
				t.Errorf("release ended %s, want %s", m["phase"], v.endPhase)
			}
		})
	},
	`panel "Releases ended" A`: func(t *testing.T, _ view, res model.Value) {
		ended := map[string]float64{}
		eachValue(res, func(m model.Metric, f float64) { ended[string(m["result"])] = f })
		if math.Round(ended["promoted"]) != 1 || math.Round(ended["rolledback"]) != 1 {
			t.Errorf("releases ended %v, want one promoted and one rolled back", ended)
		}
	},
}
