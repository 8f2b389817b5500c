package v1alpha1

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// validRelease is a local release that passes Validate; each case breaks
// one thing.
func validRelease() *Release {
	return &Release{
		TypeMeta:   metav1.TypeMeta{APIVersion: "sluice.dev/v1alpha1", Kind: "Release"},
		ObjectMeta: metav1.ObjectMeta{Name: "checkout"},
		Spec: ReleaseSpec{
			Workload: WorkloadSpec{Local: &LocalWorkload{
				Stable: LocalVersion{Command: []string{"./app", "--version=v1"}},
				Canary: LocalVersion{URL: "http://127.0.0.1:9002"},
			}},
			Traffic: TrafficSpec{
				Proxy: &ProxyTraffic{Listen: "127.0.0.1:8080"},
				Match: []MatchRule{{Headers: map[string]StringMatch{"X-Canary": {Exact: "always"}}}},
			},
			Strategy: Strategy{Steps: []Step{
				{SetWeight: ptr[int32](10)},
				{Analysis: &AnalysisStep{Passes: 2}},
				{Pause: &PauseStep{Duration: dur(time.Minute)}},
				{Pause: &PauseStep{}},
			}},
			Analysis: Analysis{Metrics: []MetricCheck{
				{Name: MetricRequestSuccessRate, ThresholdRange: ThresholdRange{Min: ptr(99.0)}},
				{Name: MetricRequestDuration, ThresholdRange: ThresholdRange{Max: ptr(500.0)}},
			}},
		},
	}
}

// errorRateQuery is a custom metric query using every placeholder.
const errorRateQuery = `100 * sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}", destination_version="{{version}}", response_code=~"5.."}[{{ window }}]))`

// validIstioRelease is the hand-made Istio setup: two Deployments behind
// DestinationRule subsets, Prometheus, a custom metric and webhooks.
func validIstioRelease() *Release {
	r := validRelease()
	r.Namespace = "prod"
	r.Spec.Workload = WorkloadSpec{Deployments: &DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2", ScaleDownStable: true}}
	r.Spec.Traffic.Proxy = nil
	r.Spec.Traffic.Istio = &IstioTraffic{
		VirtualService:  "api",
		Routes:          []string{"primary", "fallback"},
		DestinationRule: "api",
		Stable:          IstioDestination{Subset: "v1"},
		Canary:          IstioDestination{Subset: "v2"},
	}
	a := &r.Spec.Analysis
	a.Prometheus = &PrometheusSource{Address: "http://prometheus.istio-system:9090"}
	a.Metrics = append(a.Metrics, MetricCheck{Name: "error-rate", Query: errorRateQuery, ThresholdRange: ThresholdRange{Max: ptr(1.0)}})
	r.Spec.Webhooks = []Webhook{
		{Name: "load-test", Type: WebhookRollout, URL: "http://loadtester.test/", Timeout: dur(5 * time.Second),
			Metadata: map[string]string{"cmd": "hey -z 1m http://api-canary.prod/"}},
		{Name: "approve", Type: WebhookConfirmPromotion, URL: "https://gate.example.com/approve"},
	}
	return r
}

// validGatewayRelease is the GitOps form with Gateway API: one target
// Deployment and the Services Sluice creates for it.
func validGatewayRelease() *Release {
	r := validRelease()
	r.Spec.Workload = WorkloadSpec{Target: &TargetWorkload{Deployment: "api", Port: 80, TargetPort: 8080}}
	r.Spec.Traffic.Proxy = nil
	r.Spec.Traffic.GatewayAPI = &GatewayAPITraffic{
		HTTPRoute: "api", Rules: []string{"main"}, StableService: "api-primary", CanaryService: "api-canary",
	}
	r.Spec.Strategy = Strategy{StepWeight: 10}
	r.Spec.Analysis.Prometheus = &PrometheusSource{}
	return r
}

func formatAll(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, FormatError(e))
	}
	return out
}

// validateCase breaks one thing of a valid release (validRelease unless
// base says otherwise) and lists the messages Validate must give.
type validateCase struct {
	base func() *Release
	tc   func(r *Release)
	want []string
}

// runValidate checks each case before and after Default, which must not
// change what Validate says: defaults never hide nor cause a problem.
func runValidate(t *testing.T, tests map[string]validateCase) {
	t.Helper()
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			base := tt.base
			if base == nil {
				base = validRelease
			}
			r := base()
			tt.tc(r)
			got := formatAll(r.Validate())
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate():\n got  %q\n want %q", got, tt.want)
			}
			r.Default()
			got = formatAll(r.Validate())
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate() after Default():\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	runValidate(t, map[string]validateCase{
		"valid local":                  {tc: func(*Release) {}},
		"valid istio subsets":          {base: validIstioRelease, tc: func(*Release) {}},
		"valid target and Gateway API": {base: validGatewayRelease, tc: func(*Release) {}},
		"name missing": {
			tc:   func(r *Release) { r.Name = "" },
			want: []string{"metadata.name: must be set"},
		},
		"name not a DNS label": {
			tc:   func(r *Release) { r.Name = "Check_out" },
			want: []string{`metadata.name: "Check_out" is not a valid name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		},
		"name too long": {
			tc:   func(r *Release) { r.Name = strings.Repeat("a", 64) },
			want: []string{`metadata.name: "` + strings.Repeat("a", 64) + `" is not a valid name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		},
		"namespace invalid": {
			tc:   func(r *Release) { r.Namespace = "-ns" },
			want: []string{`metadata.namespace: "-ns" is not a valid namespace: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		},
		"every error at once, in spec order": {
			tc: func(r *Release) {
				r.Name = ""
				r.Spec.Traffic.Proxy = nil
				r.Spec.Strategy.Steps[2] = Step{SetWeight: ptr[int32](120)}
				r.Spec.Analysis.Metrics[0].Name = "nope"
				r.Spec.Webhooks = []Webhook{{Name: "hook", Type: WebhookEvent, URL: "hooks.test"}}
			},
			want: []string{
				"metadata.name: must be set",
				"spec.traffic: exactly one of proxy, istio or gatewayAPI must be set",
				"spec.strategy.steps[2].setWeight: 120 is above 100",
				`spec.analysis.metrics[0].name: "nope" is not a known metric; known metrics: request-duration, request-success-rate`,
				`spec.webhooks[0].url: "hooks.test" is not an absolute http:// or https:// URL`,
			},
		},
		"a webhook that may hang for an hour": {
			tc: func(r *Release) {
				r.Spec.Webhooks = []Webhook{{Name: "load", Type: WebhookRollout, URL: "http://loadtester/", Timeout: &metav1.Duration{Duration: time.Hour}}}
			},
			want: []string{"spec.webhooks[0].timeout: 1h0m0s is longer than the 5m0s a webhook may take"},
		},
		"every error at once on Kubernetes": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Deployments.Canary = "api-v1"
				r.Spec.Traffic.Istio.Canary = IstioDestination{Subset: "v1"}
				r.Spec.Analysis.Metrics[2].Query = "sum(up{job=\"{{ job }}\"})"
				r.Spec.Webhooks[1].Name = "load-test"
			},
			want: []string{
				`spec.workload.deployments.canary: "api-v1" is also the stable Deployment; the canary must be another Deployment`,
				`spec.traffic.istio.canary: subset "v1" is also the stable destination; the canary needs another subset or host`,
				"spec.analysis.metrics[2].query: {{ job }} is not a known placeholder; use {{ namespace }}, {{ target }}, {{ version }} or {{ window }}",
				`spec.webhooks[1].name: "load-test" is already used by spec.webhooks[0]`,
			},
		},
	})
}

func TestValidateStrategy(t *testing.T) {
	runValidate(t, map[string]validateCase{
		"setWeight above 100": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[2] = Step{SetWeight: ptr[int32](120)} },
			want: []string{"spec.strategy.steps[2].setWeight: 120 is above 100"},
		},
		"setWeight below 0": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[0].SetWeight = ptr[int32](-5) },
			want: []string{"spec.strategy.steps[0].setWeight: -5 is below 0"},
		},
		"setWeight 0 and 100 are fine": {
			tc: func(r *Release) {
				r.Spec.Strategy.Steps[0].SetWeight = ptr[int32](0)
				r.Spec.Strategy.Steps[2] = Step{SetWeight: ptr[int32](100)}
			},
		},
		"step with nothing": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[3] = Step{} },
			want: []string{"spec.strategy.steps[3]: exactly one of setWeight, pause or analysis must be set"},
		},
		"step with two members": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[0].Pause = &PauseStep{} },
			want: []string{"spec.strategy.steps[0]: exactly one of setWeight, pause or analysis must be set, found setWeight and pause"},
		},
		"negative pause": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[2].Pause.Duration = dur(-time.Minute) },
			want: []string{"spec.strategy.steps[2].pause.duration: -1m0s is negative"},
		},
		"zero pause is fine": {
			tc: func(r *Release) { r.Spec.Strategy.Steps[2].Pause.Duration = dur(0) },
		},
		"negative passes": {
			tc:   func(r *Release) { r.Spec.Strategy.Steps[1].Analysis.Passes = -1 },
			want: []string{"spec.strategy.steps[1].analysis.passes: -1 is below 1"},
		},
		"no strategy": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{} },
			want: []string{"spec.strategy: set steps, or stepWeight or stepWeights"},
		},
		"steps and shorthand": {
			tc:   func(r *Release) { r.Spec.Strategy.StepWeight = 10 },
			want: []string{"spec.strategy: set either steps or stepWeight/stepWeights, not both"},
		},
		"maxWeight with steps": {
			tc:   func(r *Release) { r.Spec.Strategy.MaxWeight = 50 },
			want: []string{"spec.strategy.maxWeight: only applies to stepWeight, not to steps"},
		},
		"shorthand stepWeight": {
			tc: func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10, MaxWeight: 50} },
		},
		"shorthand stepWeights": {
			tc: func(r *Release) { r.Spec.Strategy = Strategy{StepWeights: []int32{1, 10, 100}} },
		},
		"stepWeight and stepWeights": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10, StepWeights: []int32{5, 10}} },
			want: []string{"spec.strategy.stepWeights: set stepWeight or stepWeights, not both"},
		},
		"stepWeight out of range": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 101, MaxWeight: -1} },
			want: []string{"spec.strategy.stepWeight: 101 is above 100", "spec.strategy.maxWeight: -1 is below 1"},
		},
		"maxWeight above 100": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10, MaxWeight: 150} },
			want: []string{"spec.strategy.maxWeight: 150 is above 100"},
		},
		"stepWeights out of range and not increasing": {
			tc: func(r *Release) { r.Spec.Strategy = Strategy{StepWeights: []int32{0, 20, 10, 10, 120}} },
			want: []string{
				"spec.strategy.stepWeights[0]: 0 is below 1",
				"spec.strategy.stepWeights[2]: 10 is not above the previous weight 20",
				"spec.strategy.stepWeights[3]: 10 is not above the previous weight 10",
				"spec.strategy.stepWeights[4]: 120 is above 100",
			},
		},
		"stepWeights above maxWeight": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeights: []int32{10, 60}, MaxWeight: 50} },
			want: []string{"spec.strategy.stepWeights[1]: 60 is above maxWeight 50"},
		},
		"analysis step without metrics": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics = nil },
			want: []string{"spec.strategy.steps[1].analysis: analysis steps need at least one metric in spec.analysis.metrics"},
		},
		"stepWeight without metrics": {
			tc: func(r *Release) {
				r.Spec.Strategy = Strategy{StepWeight: 10}
				r.Spec.Analysis.Metrics = nil
			},
			want: []string{"spec.strategy.stepWeight: stepWeight waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"},
		},
		"stepWeights without metrics": {
			tc: func(r *Release) {
				r.Spec.Strategy = Strategy{StepWeights: []int32{10, 50}}
				r.Spec.Analysis.Metrics = nil
			},
			want: []string{"spec.strategy.stepWeights: stepWeights waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"},
		},
		"no analysis step needs no metrics": {
			tc: func(r *Release) {
				r.Spec.Strategy.Steps = slices.Delete(r.Spec.Strategy.Steps, 1, 2)
				r.Spec.Analysis.Metrics = nil
			},
		},
		"stepWeight and stepWeights above the default maxWeight": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10, StepWeights: []int32{5, 60}} },
			want: []string{"spec.strategy.stepWeights: set stepWeight or stepWeights, not both"},
		},
		"too many steps": {
			tc: func(r *Release) {
				r.Spec.Strategy.Steps = slices.Repeat([]Step{{Pause: &PauseStep{}}}, 101)
			},
			want: []string{"spec.strategy.steps: 101 steps; at most 100 are allowed"},
		},
	})
}

func TestFormatError(t *testing.T) {
	p := field.NewPath("spec", "strategy").Child("steps").Index(2).Child("setWeight")
	tests := map[string]struct {
		tc   *field.Error
		want string
	}{
		"invalid with detail":     {tc: field.Invalid(p, 120, "120 is above 100"), want: "spec.strategy.steps[2].setWeight: 120 is above 100"},
		"required without detail": {tc: field.Required(field.NewPath("spec"), ""), want: "spec: Required value"},
		"no path":                 {tc: &field.Error{Type: field.ErrorTypeInvalid, Detail: "not valid YAML"}, want: "not valid YAML"},
		"nil":                     {tc: nil, want: ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FormatError(tt.tc); got != tt.want {
				t.Errorf("FormatError() = %q, want %q", got, tt.want)
			}
		})
	}
}
