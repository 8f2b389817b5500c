package convert

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestConvertArgoIstioHosts(t *testing.T) {
	r := convertFile(t, "argo-istio-hosts.yaml")
	s := r.Release.Spec
	eq(t, "stable", s.Workload.Deployments.Stable, "checkout-stable")
	eq(t, "canary", s.Workload.Deployments.Canary, "checkout-canary")
	it := s.Traffic.Istio
	if it.VirtualService != "checkout" || !slices.Equal(it.Routes, []string{"primary"}) || it.Stable.Host != "checkout-stable" || it.Canary.Host != "checkout-canary" {
		t.Errorf("istio %+v", it)
	}
	var steps []string
	for _, st := range s.Strategy.Steps {
		switch {
		case st.SetWeight != nil:
			steps = append(steps, "weight "+itoa(*st.SetWeight))
		case st.Pause != nil && st.Pause.Duration != nil:
			steps = append(steps, "pause "+st.Pause.Duration.Duration.String())
		case st.Pause != nil:
			steps = append(steps, "pause")
		case st.Analysis != nil:
			steps = append(steps, "analysis "+itoa(st.Analysis.Passes))
		}
	}
	// Weights are parts of maxTrafficWeight 1000; the header route, canary
	// scale, mirror, experiment and plugin steps are not steps here.
	if got := strings.Join(steps, ", "); got != "weight 5, pause 30s, weight 12, pause 1m0s, analysis 4, pause" {
		t.Errorf("steps: %s", got)
	}
	mapped(t, r, "", "spec.strategy.canary.steps[5].setWeight", "spec.strategy.steps[2].setWeight")
	if f := field(t, r, "", "spec.strategy.canary.steps[5].setWeight"); !strings.Contains(f.Why, "rounded down") {
		t.Errorf("rounding not said: %+v", f)
	}
	dropped(t, r, "", "spec.strategy.canary.steps[3]", "own replica count")
	dropped(t, r, "", "spec.strategy.canary.steps[4]", "does not mirror")
	dropped(t, r, "", "spec.strategy.canary.steps[8]", "no experiments")
	dropped(t, r, "", "spec.strategy.canary.steps[9]", "no step plugins")
	eq(t, "header route", s.Traffic.Match[0].Headers["x-canary"].Exact, "yes")
	eq(t, "header route prefix", s.Traffic.Match[0].Headers["x-tenant"].Prefix, "acme")

	metrics := map[string]v1alpha1.MetricCheck{}
	for _, m := range s.Analysis.Metrics {
		metrics[m.Name] = m
	}
	eq(t, "metrics", len(metrics), 3)
	if m := metrics["success-rate"]; *m.ThresholdRange.Min != 0.99 || m.ThresholdRange.Max != nil ||
		!strings.Contains(m.Query, `destination_service_name="checkout-canary"`) || !strings.Contains(m.Query, `destination_service_namespace="shop"`) {
		t.Errorf("success-rate %+v", m)
	}
	if m := metrics["error-budget"]; *m.ThresholdRange.Min != 0 || *m.ThresholdRange.Max != 0.05 {
		t.Errorf("error-budget from a failureCondition with ||: %+v", m.ThresholdRange)
	}
	if m := metrics["p99-latency"]; *m.ThresholdRange.Min != 0 || *m.ThresholdRange.Max != 500 {
		t.Errorf("p99-latency from the ClusterAnalysisTemplate: %+v", m.ThresholdRange)
	}
	eq(t, "interval (the shortest)", s.Analysis.Interval.Duration, 30*time.Second)
	eq(t, "threshold (failureLimit 0 somewhere)", s.Analysis.Threshold, int32(1))
	noted(t, r, "first failed measurement")
	eq(t, "prometheus", s.Analysis.Prometheus.Address, "http://prometheus.istio-system:9090")
	dropped(t, r, "AnalysisTemplate shop/success-rate", "spec.metrics[1]", "dry-run")
	dropped(t, r, "AnalysisTemplate shop/success-rate", "spec.metrics[2]", "api-token")
	dropped(t, r, "AnalysisTemplate shop/success-rate", "spec.args[2]", "no Secret")
	dropped(t, r, "AnalysisTemplate shop/error-budget", "spec.metrics[5]", "reads job")
	dropped(t, r, "", "spec.strategy.canary.analysis.args[2]", "pod-template hash")
	mapped(t, r, "AnalysisTemplate shop/success-rate", "spec.metrics[0].failureLimit", "spec.analysis.threshold")
	noted(t, r, "another query")

	st := output(t, r, "Deployment", "checkout-stable")
	ca := output(t, r, "Deployment", "checkout-canary")
	eq(t, "stable replicas", at(st, "spec.replicas"), any(int64(4)))
	eq(t, "idle canary", at(ca, "spec.replicas"), any(int64(0)))
	eq(t, "canary restores to", at(ca, "metadata.annotations[sluice.dev/scaled-down-from]"), any("4"))
	eq(t, "canary pods", at(ca, "spec.template.metadata.labels[sluice.dev/track]"), any("canary"))
	eq(t, "canaryMetadata labels", at(ca, "spec.template.metadata.labels.role"), any("canary"))
	eq(t, "no canaryMetadata annotations", at(ca, "spec.template.metadata.annotations"), nil)
	eq(t, "selector", at(st, "spec.selector.matchLabels[sluice.dev/track]"), any("stable"))
	eq(t, "match expressions kept", at(st, "spec.selector.matchExpressions[0].key"), any("tier"))
	eq(t, "rolling update", at(st, "spec.strategy.rollingUpdate.maxSurge"), any("25%"))
	eq(t, "min ready", at(ca, "spec.minReadySeconds"), any(int64(10)))
	eq(t, "image", at(ca, "spec.template.spec.containers[0].image"), any("registry.example.com/checkout:1.4.0"))
	svc := output(t, r, "Service", "checkout-canary")
	eq(t, "Service selects the canary", at(svc, "spec.selector[sluice.dev/track]"), any("canary"))
	eq(t, "Service port kept", at(svc, "spec.ports[0].targetPort"), any("http"))
	dropped(t, r, "", "spec.strategy.canary.trafficRouting.nginx", "router Sluice does not drive")
	dropped(t, r, "", "spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes", "HTTP routes only")
	dropped(t, r, "", "spec.strategy.canary.canaryMetadata.annotations", "different versions")
	if rest := untouched(mustParse(t, "argo-istio-hosts.yaml"), []*Result{r}); !slices.Equal(rest, []string{"VirtualService shop/checkout"}) {
		t.Errorf("untouched %v, want the VirtualService only", rest)
	}
}

func TestConvertArgoSubsetsWorkloadRef(t *testing.T) {
	r := convertFile(t, "argo-istio-subsets.yaml")
	s := r.Release.Spec
	eq(t, "target", *s.Workload.Target, v1alpha1.TargetWorkload{Deployment: "cart", Port: 80, TargetPort: 8080})
	it := s.Traffic.Istio
	if it.DestinationRule != "cart" || it.Stable != (v1alpha1.IstioDestination{Host: "cart", Subset: "stable"}) || it.Canary != (v1alpha1.IstioDestination{Host: "cart", Subset: "canary"}) {
		t.Errorf("istio %+v", it)
	}
	dropped(t, r, "", "spec.strategy.canary.trafficRouting.istio.virtualServices[1]", "one VirtualService")
	dropped(t, r, "", "spec.workloadRef.scaleDown", "0 replicas")
	eq(t, "pause of seconds in a string", s.Strategy.Steps[3].Pause.Duration.Duration, 30*time.Second)
	dr := output(t, r, "DestinationRule", "cart")
	eq(t, "stable subset", at(dr, "spec.subsets[0].labels[sluice.dev/role]"), any("primary"))
	eq(t, "canary subset", at(dr, "spec.subsets[1].labels[sluice.dev/role]"), any("canary"))
	eq(t, "other subset kept", at(dr, "spec.subsets[2].labels.debug"), any("true"))
	eq(t, "no hash left", at(dr, "spec.subsets[0].labels[rollouts-pod-template-hash]"), nil)
	eq(t, "cluster state dropped", at(dr, "metadata.uid"), nil)
	noted(t, r, "stays in Git as the template")
}

func TestConvertArgoGatewayAPI(t *testing.T) {
	r := convertFile(t, "argo-gatewayapi.yaml")
	g := r.Release.Spec.Traffic.GatewayAPI
	if g.HTTPRoute != "search" || g.StableService != "search-stable" || g.CanaryService != "search-canary" {
		t.Errorf("gatewayAPI %+v", g)
	}
	mapped(t, r, "", "spec.strategy.canary.trafficRouting.plugins[argoproj-labs/gatewayAPI]", "spec.traffic.gatewayAPI")
	dropped(t, r, "", "spec.strategy.canary.steps[1]", "does not wait")
	svc := output(t, r, "Service", "search-stable")
	eq(t, "generated port", at(svc, "spec.ports[0].targetPort"), any(int64(9000)))
	eq(t, "generated selector", at(svc, "spec.selector[sluice.dev/track]"), any("stable"))
	noted(t, r, "search-stable is not in the input")
}

func TestConvertArgoRefusals(t *testing.T) {
	in := mustParse(t, "argo-bluegreen.yaml")
	_, err := Convert(in)
	for _, want := range []string{"Rollout admin: spec.strategy.blueGreen", "Rollout pingpong: spec.strategy.canary.pingPong"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Convert = %v, want %q", err, want)
		}
	}
	const head = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n  template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: x}]}}\n"
	tests := map[string]struct{ spec, want string }{
		"no router":       {"  strategy: {canary: {stableService: a, canaryService: b, steps: [{setWeight: 10}]}}\n", "without a router"},
		"nginx only":      {"  strategy: {canary: {stableService: a, canaryService: b, trafficRouting: {nginx: {stableIngress: api}}}}\n", "trafficRouting.nginx"},
		"no Services":     {"  strategy: {canary: {trafficRouting: {istio: {virtualService: {name: api}}}}}\n", "stableService and canaryService"},
		"no strategy":     {"  replicas: 1\n", "spec.strategy.canary: not set"},
		"a StatefulSet":   {"  workloadRef: {kind: StatefulSet, name: api}\n  strategy: {canary: {trafficRouting: {istio: {virtualService: {name: api}}}}}\n", "Deployments only"},
		"a bad pause":     {"  strategy: {canary: {stableService: a, canaryService: b, trafficRouting: {istio: {virtualService: {name: api}}}, steps: [{pause: {duration: 1d}}]}}\n", "1d"},
		"subsets no host": {"  strategy: {canary: {trafficRouting: {istio: {virtualService: {name: api}, destinationRule: {name: api, stableSubsetName: s, canarySubsetName: c}}}}}\n", "host of the subsets"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in, err := Parse([]byte(head + tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Convert = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Convert(&Input{}); err == nil || !strings.Contains(err.Error(), "no Flagger Canary") {
		t.Errorf("empty input: %v", err)
	}
}

func mustParse(t *testing.T, name string) *Input {
	t.Helper()
	data, err := readTestdata(name)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }
