package convert

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestConvertFlaggerIstio(t *testing.T) {
	r := convertFile(t, "flagger-istio.yaml")
	s := r.Release.Spec
	eq(t, "namespace", r.Release.Namespace, "test")
	eq(t, "label", r.Release.Labels["team"], "web")
	eq(t, "target", *s.Workload.Target, v1alpha1.TargetWorkload{Deployment: "podinfo", Port: 80, TargetPort: 9898})
	mapped(t, r, "", "spec.service.targetPort", "spec.workload.target.targetPort")
	eq(t, "virtualService", s.Traffic.Istio.VirtualService, "podinfo-svc")
	eq(t, "stable host", s.Traffic.Istio.Stable.Host, "podinfo-primary")
	eq(t, "canary host", s.Traffic.Istio.Canary.Host, "podinfo-canary")
	if !slices.Equal(s.Strategy.StepWeights, []int32{5, 10, 25, 50}) || s.Strategy.StepWeight != 0 || s.Strategy.MaxWeight != 0 {
		t.Errorf("strategy %+v, want stepWeights 5 10 25 50 only", s.Strategy)
	}
	dropped(t, r, "", "spec.analysis.maxWeight", "last weight is the maximum")
	dropped(t, r, "", "spec.analysis.iterations", "weights set the pace")
	eq(t, "interval", s.Analysis.Interval.Duration, 30*time.Second)
	eq(t, "threshold", s.Analysis.Threshold, int32(3))
	eq(t, "prometheus", s.Analysis.Prometheus.Address, "http://prometheus.istio-system:9090")

	metrics := map[string]v1alpha1.MetricCheck{}
	for _, m := range s.Analysis.Metrics {
		metrics[m.Name] = m
	}
	if m := metrics["request-success-rate"]; *m.ThresholdRange.Min != 99 || m.Window.Duration != time.Minute {
		t.Errorf("request-success-rate %+v", m)
	}
	if m := metrics["request-duration"]; m.ThresholdRange.Max == nil || *m.ThresholdRange.Max != 500 {
		t.Errorf("request-duration from the deprecated threshold: %+v", m)
	}
	mapped(t, r, "", "spec.analysis.metrics[1].threshold", "thresholdRange.max")
	if q := metrics["error-rate"].Query; !strings.Contains(q, `destination_workload="{{ target }}", response_code=~"5.."}[{{ window }}]`) || !strings.Contains(q, `"{{ namespace }}"`) {
		t.Errorf("error-rate query from the MetricTemplate:\n%s", q)
	}
	if q := metrics["queue-depth"].Query; q != `max(queue_depth{namespace="{{ namespace }}", app="{{ target }}", window="{{ window }}"})` {
		t.Errorf("inline query %q", q)
	}
	if _, ok := metrics["cloudwatch-latency"]; ok {
		t.Error("a CloudWatch metric became a Prometheus one")
	}
	dropped(t, r, "", "spec.analysis.metrics[4]", "reads cloudwatch")
	dropped(t, r, "MetricTemplate test/cloudwatch-latency", "spec", "not cloudwatch")
	dropped(t, r, "MetricTemplate flagger-system/error-rate", "spec.provider.secretRef", "without credentials")
	mapped(t, r, "MetricTemplate flagger-system/error-rate", "spec.query", "spec.analysis.metrics[2].query")

	hooks := map[string]v1alpha1.Webhook{}
	for _, h := range s.Webhooks {
		hooks[h.Name] = h
	}
	eq(t, "renamed hook", hooks["smoke-test"].Type, v1alpha1.WebhookPreRollout)
	eq(t, "untyped hook", hooks["load-test"].Type, v1alpha1.WebhookRollout)
	eq(t, "long timeout cut", hooks["load-test"].Timeout.Duration, v1alpha1.MaxWebhookTimeout)
	eq(t, "load test command", hooks["load-test"].Metadata["cmd"], "hey -z 1m -q 10 -c 2 http://podinfo-canary.test/")
	for name, typ := range map[string]v1alpha1.WebhookType{"gate": "confirm-promotion", "rollback": "rollback", "events": "event", "done": "post-rollout", "typed-load": "rollout"} {
		eq(t, "hook "+name, hooks[name].Type, typ)
	}
	eq(t, "hooks", len(s.Webhooks), 7)
	dropped(t, r, "", "spec.analysis.webhooks[4]", "no confirm-rollout webhook")
	dropped(t, r, "", "spec.analysis.webhooks[5]", "no confirm-traffic-increase webhook")
	dropped(t, r, "", "spec.analysis.webhooks[0].retries", "next check calls it again")
	noted(t, r, "keep Flagger's load tester for this one")
	noted(t, r, "`sluice loadtester`")

	eq(t, "alerts", len(s.Alerts), 2)
	if a := s.Alerts[0]; a.Name != "on-call" || a.Provider != v1alpha1.AlertSlack || a.Severity != "error" || a.URL != "https://hooks.slack.com/services/T/B/X" {
		t.Errorf("slack alert %+v", a)
	}
	if a := s.Alerts[1]; a.Provider != v1alpha1.AlertTeams || a.URLSecretRef == nil || *a.URLSecretRef != (v1alpha1.SecretKeyRef{Name: "teams-url", Key: "address"}) {
		t.Errorf("teams alert %+v", a)
	}
	dropped(t, r, "", "spec.analysis.alerts[2]", "cannot send to")
	dropped(t, r, "", "spec.analysis.alerts[3]", "not in the input")
	dropped(t, r, "AlertProvider flagger-system/on-call", "spec.channel", "channel of the webhook URL")

	m := s.Traffic.Match[0]
	eq(t, "header", m.Headers["x-canary"], v1alpha1.StringMatch{Exact: "always"})
	eq(t, "prefix", m.Headers["x-region"], v1alpha1.StringMatch{Prefix: "eu-"})
	eq(t, "suffix as regex", m.Headers["x-client"], v1alpha1.StringMatch{Regex: `.*-beta`})
	eq(t, "cookie", m.Cookies["canary"], v1alpha1.StringMatch{Exact: "always"})
	dropped(t, r, "", "spec.analysis.match[0].queryParams", "header and cookie only")

	vs := output(t, r, "VirtualService", "podinfo-svc")
	eq(t, "vs namespace", at(vs, "metadata.namespace"), any("test"))
	if hosts := at(vs, "spec.hosts").([]any); !slices.Equal(hosts, []any{"app.example.com", "podinfo-svc"}) {
		t.Errorf("hosts %v", hosts)
	}
	eq(t, "primary weight", at(vs, "spec.http[0].route[0].weight"), any(int64(100)))
	eq(t, "primary host", at(vs, "spec.http[0].route[0].destination.host"), any("podinfo-primary"))
	eq(t, "canary weight", at(vs, "spec.http[0].route[1].weight"), any(int64(0)))
	eq(t, "route match", at(vs, "spec.http[0].match[0].uri.prefix"), any("/api"))
	eq(t, "allowOrigin as allowOrigins", at(vs, "spec.http[0].corsPolicy.allowOrigins[3].exact"), any("https://app.example.com"))
	dropped(t, r, "", "spec.service.gatewayRefs", "Gateway API provider only")
	dr := output(t, r, "DestinationRule", "podinfo-canary")
	eq(t, "traffic policy", at(dr, "spec.trafficPolicy.tls.mode"), any("SIMPLE"))
	svc := output(t, r, "Service", "podinfo-svc")
	eq(t, "apex selects app", at(svc, "spec.selector.app"), any("podinfo"))
	eq(t, "apex selects the primary", at(svc, "spec.selector[sluice.dev/role]"), any("primary"))
	eq(t, "apex port name", at(svc, "spec.ports[0].name"), any("http-web"))
	eq(t, "apex target port", at(svc, "spec.ports[0].targetPort"), any("http"))
	eq(t, "apex labels", at(svc, "metadata.labels.tier"), any("web"))
	noted(t, r, "podinfo-primary and podinfo-canary (after the Deployment)")
	dropped(t, r, "", "spec.autoscalerRef", "HorizontalPodAutoscaler")
	dropped(t, r, "", "spec.analysis.sessionAffinity", "no session affinity")
	mapped(t, r, "", "spec.suspend", "spec.paused")
}

func TestConvertFlaggerGatewayAPI(t *testing.T) {
	r := convertFile(t, "flagger-gatewayapi.yaml")
	s := r.Release.Spec
	if g := s.Traffic.GatewayAPI; g.HTTPRoute != "api" || g.StableService != "api-primary" || g.CanaryService != "api-canary" {
		t.Errorf("gatewayAPI %+v", g)
	}
	if len(s.Strategy.Steps) != 1 || s.Strategy.Steps[0].Analysis == nil || s.Strategy.Steps[0].Analysis.Passes != 10 {
		t.Errorf("A/B steps %+v, want one gate of 10 passing checks", s.Strategy.Steps)
	}
	mapped(t, r, "", "spec.analysis.iterations", "passes")
	eq(t, "two match rules", len(s.Traffic.Match), 2)
	eq(t, "cookie", s.Traffic.Match[1].Cookies["canary"].Exact, "always")
	hr := output(t, r, "HTTPRoute", "api")
	eq(t, "parent", at(hr, "spec.parentRefs[0].sectionName"), any("https"))
	eq(t, "hostname", at(hr, "spec.hostnames[0]"), any("api.example.com"))
	eq(t, "path prefix", at(hr, "spec.rules[0].matches[0].path.type"), any("PathPrefix"))
	eq(t, "header prefix as regex", at(hr, "spec.rules[0].matches[0].headers[1].value"), any("^acme"))
	eq(t, "method", at(hr, "spec.rules[0].matches[0].method"), any("POST"))
	eq(t, "timeout", at(hr, "spec.rules[0].timeouts.request"), any("30s"))
	eq(t, "backend timeout", at(hr, "spec.rules[0].timeouts.backendRequest"), any("10s"))
	eq(t, "canary backend", at(hr, "spec.rules[0].backendRefs[1].name"), any("api-canary"))
	var kinds []string
	for _, f := range at(hr, "spec.rules[0].filters").([]any) {
		kinds = append(kinds, f.(map[string]any)["type"].(string))
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"RequestHeaderModifier", "RequestMirror", "ResponseHeaderModifier", "URLRewrite"}) {
		t.Errorf("filters %v", kinds)
	}
	eq(t, "full path rewrite", at(hr, "spec.rules[0].filters[2].urlRewrite.path.replaceFullPath"), any("/v2/api"))
	dropped(t, r, "", "spec.service.match[0].authority", "no HTTPRoute counterpart")
	dropped(t, r, "", "spec.service.retries", "not in the standard Gateway API")
	dropped(t, r, "", "spec.service.trafficPolicy", "Istio's")
	noted(t, r, "Flagger's convention")
}

func TestConvertFlaggerBlueGreen(t *testing.T) {
	r := convertFile(t, "flagger-bluegreen.yaml")
	s := r.Release.Spec
	if len(s.Strategy.Steps) != 1 || s.Strategy.Steps[0].Pause == nil || s.Strategy.Steps[0].Pause.Duration != nil {
		t.Errorf("steps %+v, want a pause until promoted", s.Strategy.Steps)
	}
	dropped(t, r, "", "spec.analysis.iterations", "blue/green run at 0%")
	noted(t, r, "blue/green")
	noted(t, r, "Istio is assumed")
	noted(t, r, `"http" is a port name`)
	eq(t, "no target port", s.Workload.Target.TargetPort, int32(0))
	eq(t, "Service target port by name", at(output(t, r, "Service", "web"), "spec.ports[0].targetPort"), any("http"))
}

// TestConvertFlaggerWithoutMetrics: weights that would wait for passing
// checks are held one interval each instead, as Flagger advances them.
func TestConvertFlaggerWithoutMetrics(t *testing.T) {
	r := convertOne(t, `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {kind: Deployment, name: api}
  service: {port: 80}
  analysis: {interval: 1m, stepWeight: 20, maxWeight: 40}
`)
	var got []string
	for _, st := range r.Release.Spec.Strategy.Steps {
		switch {
		case st.SetWeight != nil:
			got = append(got, "w", strconv.Itoa(int(*st.SetWeight/10)))
		case st.Pause != nil:
			got = append(got, st.Pause.Duration.Duration.String())
		}
	}
	if strings.Join(got, " ") != "w 2 1m0s w 4 1m0s" {
		t.Errorf("steps %v", got)
	}
	noted(t, r, "no metrics")
}

func TestConvertFlaggerRefusals(t *testing.T) {
	const head = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec:\n"
	tests := map[string]struct{ spec, want string }{
		"a DaemonSet":        {"  targetRef: {kind: DaemonSet, name: api}\n  service: {port: 80}\n  analysis: {stepWeight: 10}\n", "Sluice releases Deployments only"},
		"no target":          {"  service: {port: 80}\n  analysis: {stepWeight: 10}\n", "spec.targetRef.name: not set"},
		"no port":            {"  targetRef: {kind: Deployment, name: api}\n  analysis: {stepWeight: 10}\n", "spec.service.port"},
		"another router":     {"  provider: nginx\n  targetRef: {kind: Deployment, name: api}\n  service: {port: 80}\n  analysis: {stepWeight: 10}\n", "spec.provider: nginx"},
		"nothing to move by": {"  targetRef: {kind: Deployment, name: api}\n  service: {port: 80}\n  analysis: {interval: 1m}\n", "no stepWeight, stepWeights or iterations"},
		"a bad interval":     {"  targetRef: {kind: Deployment, name: api}\n  service: {port: 80}\n  analysis: {interval: soon, stepWeight: 10}\n", "spec.analysis.interval"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in, err := Parse([]byte(head + tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Convert(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Canary api") {
				t.Errorf("Convert = %v, want an error naming Canary api and %q", err, tc.want)
			}
		})
	}
}

func TestFlaggerQuery(t *testing.T) {
	c := &canary{s: newSource(&object{data: map[string]any{"spec": map[string]any{"ingressRef": map[string]any{"name": "web"}}}}, nil), apex: "api"}
	vars := map[string]any{"status": "5..", "le": int64(500)}
	tests := []struct{ in, want, err string }{
		{in: `x{ns="{{ namespace }}",w="{{target}}"}[{{ interval }}]`, want: `x{ns="{{ namespace }}",w="{{ target }}"}[{{ window }}]`},
		{in: `x{svc="{{ service }}",ing="{{ ingress }}",c=~"{{ variables.status }}",le="{{ variables.le }}"}`, want: `x{svc="api",ing="web",c=~"5..",le="500"}`},
		{in: `x{a="{{- target -}}"}`, want: `x{a="{{ target }}"}`},
		{in: `x{a="{{ variables.missing }}"}`, err: "{{ variables.missing }}"},
		{in: `x{a="{{ printf "%s" target }}"}`, err: "cannot fill in"},
	}
	for _, tc := range tests {
		got, err := c.query(tc.in, vars)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("query(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("query(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
