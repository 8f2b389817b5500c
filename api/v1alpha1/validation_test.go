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

// validRelease passes Validate; each case breaks one thing.
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

func formatAll(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, FormatError(e))
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := map[string]struct {
		tc   func(r *Release)
		want []string
	}{
		"valid":               {tc: func(*Release) {}},
		"valid after Default": {tc: func(r *Release) { r.Default() }},
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
		"no workload driver": {
			tc:   func(r *Release) { r.Spec.Workload.Local = nil },
			want: []string{"spec.workload: exactly one of spec.workload.local must be set"},
		},
		"neither command nor url": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary = LocalVersion{} },
			want: []string{"spec.workload.local.canary: exactly one of command or url must be set"},
		},
		"both command and url": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.URL = "http://127.0.0.1:9001" },
			want: []string{"spec.workload.local.stable: command and url are both set; set exactly one"},
		},
		"empty program": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.Command = []string{"", "x"} },
			want: []string{"spec.workload.local.stable.command[0]: the program must not be empty"},
		},
		"url not absolute": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary.URL = "localhost:9002" },
			want: []string{`spec.workload.local.canary.url: "localhost:9002" is not an absolute http:// or https:// URL`},
		},
		"url wrong scheme": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary.URL = "ftp://127.0.0.1/" },
			want: []string{`spec.workload.local.canary.url: "ftp://127.0.0.1/" is not an absolute http:// or https:// URL`},
		},
		"env and dir with url": {
			tc: func(r *Release) {
				r.Spec.Workload.Local.Canary.Env = map[string]string{"A": "b"}
				r.Spec.Workload.Local.Canary.Dir = "/tmp"
			},
			want: []string{
				"spec.workload.local.canary.env: only applies to command, not to url",
				"spec.workload.local.canary.dir: only applies to command, not to url",
			},
		},
		"bad env name": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.Env = map[string]string{"A=B": "c", "OK": "d"} },
			want: []string{`spec.workload.local.stable.env[A=B]: "A=B" is not a valid environment variable name`},
		},
		"healthPath without slash": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.HealthPath = "healthz" },
			want: []string{`spec.workload.local.stable.healthPath: "healthz" must start with '/'`},
		},
		"startTimeout zero": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.StartTimeout = dur(0) },
			want: []string{"spec.workload.local.stable.startTimeout: 0s is not a positive duration"},
		},
		"no router": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy = nil },
			want: []string{"spec.traffic: exactly one of spec.traffic.proxy must be set"},
		},
		"listen missing": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "" },
			want: []string{"spec.traffic.proxy.listen: must be set, such as 127.0.0.1:8080"},
		},
		"listen without port": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "8080" },
			want: []string{`spec.traffic.proxy.listen: "8080" is not a host:port address such as 127.0.0.1:8080`},
		},
		"listen port out of range": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "localhost:70000" },
			want: []string{`spec.traffic.proxy.listen: port "70000" is not a number from 0 to 65535`},
		},
		"listen on all interfaces": {
			tc: func(r *Release) { r.Spec.Traffic.Proxy.Listen = ":8080" },
		},
		"empty match rule": {
			tc:   func(r *Release) { r.Spec.Traffic.Match = append(r.Spec.Traffic.Match, MatchRule{}) },
			want: []string{"spec.traffic.match[1]: a match rule needs at least one header or cookie"},
		},
		"string match empty": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{} },
			want: []string{"spec.traffic.match[0].headers[X-Canary]: exactly one of exact, prefix or regex must be set"},
		},
		"string match two kinds": {
			tc: func(r *Release) {
				r.Spec.Traffic.Match[0].Cookies = map[string]StringMatch{"beta": {Prefix: "a", Regex: "b"}}
			},
			want: []string{"spec.traffic.match[0].cookies[beta]: exactly one of exact, prefix or regex must be set, found prefix and regex"},
		},
		"regex does not compile": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{Regex: "(a"} },
			want: []string{`spec.traffic.match[0].headers[X-Canary].regex: "(a" is not a valid RE2 expression: missing closing )`},
		},
		"regex not RE2": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{Regex: `(?=a)b`} },
			want: []string{`spec.traffic.match[0].headers[X-Canary].regex: "(?=a)b" is not a valid RE2 expression: invalid or unsupported Perl syntax`},
		},
		"bad header and cookie names": {
			tc: func(r *Release) {
				r.Spec.Traffic.Match[0].Headers["x canary"] = StringMatch{Exact: "1"}
				r.Spec.Traffic.Match[0].Cookies = map[string]StringMatch{"a;b": {Exact: "1"}}
			},
			want: []string{
				`spec.traffic.match[0].headers[x canary]: "x canary" is not a valid header name`,
				`spec.traffic.match[0].cookies[a;b]: "a;b" is not a valid cookie name`,
			},
		},
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
		"analysis durations and threshold": {
			tc: func(r *Release) {
				r.Spec.Analysis.Interval = dur(0)
				r.Spec.Analysis.NoDataTimeout = dur(-time.Second)
				r.Spec.Analysis.Threshold = -2
			},
			want: []string{
				"spec.analysis.interval: 0s is not a positive duration",
				"spec.analysis.noDataTimeout: -1s is not a positive duration",
				"spec.analysis.threshold: -2 is below 1",
			},
		},
		"unknown metric": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].Name = "error-rate" },
			want: []string{`spec.analysis.metrics[1].name: "error-rate" is not a known metric; known metrics: request-duration, request-success-rate`},
		},
		"metric name missing": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].Name = "" },
			want: []string{"spec.analysis.metrics[1].name: must be set"},
		},
		"duplicate metric": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics = append(r.Spec.Analysis.Metrics, r.Spec.Analysis.Metrics[0])
			},
			want: []string{`spec.analysis.metrics[2].name: "request-success-rate" is already checked by spec.analysis.metrics[0]`},
		},
		"empty threshold range": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{} },
			want: []string{"spec.analysis.metrics[0].thresholdRange: needs min, max or both"},
		},
		"min above max": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{Min: ptr(99.5), Max: ptr(90.0)}
			},
			want: []string{"spec.analysis.metrics[0].thresholdRange: min 99.5 is above max 90"},
		},
		"success rate outside 0..100": {
			tc: func(r *Release) {
				r.Spec.Analysis.Metrics[0].ThresholdRange = ThresholdRange{Min: ptr(-1.0), Max: ptr(101.0)}
			},
			want: []string{
				"spec.analysis.metrics[0].thresholdRange.min: -1 is below 0 percent",
				"spec.analysis.metrics[0].thresholdRange.max: 101 is above 100 percent",
			},
		},
		"negative duration bound": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[1].ThresholdRange.Max = ptr(-5.0) },
			want: []string{"spec.analysis.metrics[1].thresholdRange.max: -5 is below 0 milliseconds"},
		},
		"large duration bound is fine": {
			tc: func(r *Release) { r.Spec.Analysis.Metrics[1].ThresholdRange.Max = ptr(1e9) },
		},
		"window zero": {
			tc:   func(r *Release) { r.Spec.Analysis.Metrics[0].Window = dur(0) },
			want: []string{"spec.analysis.metrics[0].window: 0s is not a positive duration"},
		},
		"every error at once, in spec order": {
			tc: func(r *Release) {
				r.Name = ""
				r.Spec.Traffic.Proxy = nil
				r.Spec.Strategy.Steps[2] = Step{SetWeight: ptr[int32](120)}
				r.Spec.Analysis.Metrics[0].Name = "nope"
			},
			want: []string{
				"metadata.name: must be set",
				"spec.traffic: exactly one of spec.traffic.proxy must be set",
				"spec.strategy.steps[2].setWeight: 120 is above 100",
				`spec.analysis.metrics[0].name: "nope" is not a known metric; known metrics: request-duration, request-success-rate`,
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := validRelease()
			tt.tc(r)
			got := formatAll(r.Validate())
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate():\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestKnownMetricsIsExtensible(t *testing.T) {
	r := validRelease()
	r.Spec.Analysis.Metrics[1] = MetricCheck{Name: "queue-depth", ThresholdRange: ThresholdRange{Max: ptr(20.0)}}
	if errs := r.Validate(); len(errs) != 1 {
		t.Fatalf("before adding the metric: %q, want one error", formatAll(errs))
	}
	KnownMetrics["queue-depth"] = MetricInfo{Unit: "items", Min: 0, Max: 1000}
	t.Cleanup(func() { delete(KnownMetrics, "queue-depth") })
	if errs := r.Validate(); len(errs) != 0 {
		t.Errorf("after adding the metric: %q, want none", formatAll(errs))
	}
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
