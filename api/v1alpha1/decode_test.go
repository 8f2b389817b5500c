package v1alpha1

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const header = "apiVersion: sluice.dev/v1alpha1\nkind: Release\nmetadata: {name: x}\n"

// decodeMessages returns the formatted problems of a failed decode.
func decodeMessages(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	return formatAll(de.Errs)
}

func TestDecodeRelease(t *testing.T) {
	tests := map[string]struct {
		tc   string
		want []string
	}{
		"minimal": {tc: header + "spec: {strategy: {steps: [{setWeight: 10}]}}"},
		"json": {
			tc: `{"apiVersion": "sluice.dev/v1alpha1", "kind": "Release", "metadata": {"name": "x"},
			      "spec": {"strategy": {"steps": [{"setWeight": 10}]}}}`,
		},
		"usual metadata": {
			tc: header[:len(header)-len("metadata: {name: x}\n")] + `metadata:
  name: x
  namespace: prod
  labels: {app: x}
  annotations: {note: z}
  creationTimestamp: null
  generation: 3
  uid: 0d1e
  finalizers: [sluice.dev/cleanup]
  managedFields: [{manager: kubectl, fieldsType: FieldsV1, fieldsV1: {"f:spec": {}}, time: "2026-01-01T00:00:00Z"}]
`,
		},
		"status is accepted": {
			tc: header + "status: {phase: Progressing, canaryWeight: 10, stepStartedAt: \"2026-01-01T00:00:00Z\", conditions: [{type: Ready, status: \"False\", lastTransitionTime: \"2026-01-01T00:00:00Z\", reason: R, message: m}]}",
		},
		"unknown field": {
			tc:   header + "spec: {strategy: {stepz: []}}",
			want: []string{`spec.strategy.stepz: unknown field; did you mean "steps"?`},
		},
		"all unknown fields, in declaration order": {
			tc: header + `spec:
  zzz: 1
  analysis: {metricz: []}
  workload: {local: {stable: {comand: [a]}}}
  strategy: {steps: [{setWeight: 1, wait: 2}]}
  traffic: {match: [{headers: {x: {exact: a, glob: b}}}]}
`,
			want: []string{
				`spec.workload.local.stable.comand: unknown field; did you mean "command"?`,
				"spec.traffic.match[0].headers[x].glob: unknown field",
				"spec.strategy.steps[0].wait: unknown field; a wait is pause: {duration: …}",
				`spec.analysis.metricz: unknown field; did you mean "metrics"?`,
				"spec.zzz: unknown field",
			},
		},
		"proxy limits": {
			tc: header + "spec: {traffic: {proxy: {listen: 127.0.0.1:8080, limits: {maxBodyBytes: 1048576, bodyTimeout: 30s}}}}",
		},
		"proxy limits, misspelt and mistyped": {
			tc: header + "spec: {traffic: {proxy: {listen: 127.0.0.1:8080, limits: {maxBodyByte: 1, bodyTimeout: 30, maxHeaderFields: many}}}}",
			want: []string{
				"spec.traffic.proxy.limits.maxHeaderFields: must be an integer",
				"spec.traffic.proxy.limits.bodyTimeout: must be a duration such as 30s, 1m or 1h30m",
				"spec.traffic.proxy.limits.maxBodyByte: unknown field; did you mean \"maxBodyBytes\"?",
			},
		},
		"case matters": {
			tc:   header + "spec: {Strategy: {}}",
			want: []string{`spec.Strategy: unknown field; did you mean "strategy"?`},
		},
		"wrong types": {
			tc: header + `spec:
  paused: "yes please"
  workload: {local: {stable: {command: ./app, env: {A: 1}}}}
  traffic: {proxy: "127.0.0.1:8080", match: {}}
  strategy: {steps: [{setWeight: ten}, {setWeight: 1.5}, {setWeight: 99999999999}], maxWeight: null}
  analysis: {threshold: "5", metrics: [{name: 1, thresholdRange: {min: "99"}}]}
`,
			want: []string{
				"spec.workload.local.stable.command: must be a list",
				"spec.workload.local.stable.env[A]: must be a string; put the value in quotes",
				"spec.traffic.proxy: must be an object",
				"spec.traffic.match: must be a list",
				"spec.strategy.steps[0].setWeight: must be an integer",
				"spec.strategy.steps[1].setWeight: must be an integer",
				"spec.strategy.steps[2].setWeight: 99999999999 is out of range for a 32-bit integer",
				"spec.analysis.threshold: must be an integer",
				"spec.analysis.metrics[0].name: must be a string; put the value in quotes",
				"spec.analysis.metrics[0].thresholdRange.min: must be a number",
				"spec.paused: must be true or false",
			},
		},
		"durations and times": {
			tc: header + `spec:
  workload: {local: {stable: {startTimeout: 30}, canary: {startTimeout: 30 seconds}}}
  strategy: {steps: [{pause: {duration: 1h30m}}]}
status: {startedAt: yesterday}
`,
			want: []string{
				"spec.workload.local.stable.startTimeout: must be a duration such as 30s, 1m or 1h30m",
				`spec.workload.local.canary.startTimeout: "30 seconds" is not a duration such as 30s, 1m or 1h30m`,
				`status.startedAt: "yesterday" is not a time such as 2006-01-02T15:04:05Z`,
			},
		},
		"wrong apiVersion and kind": {
			tc: "apiVersion: sluice.dev/v1\nkind: Rollout\nmetadata: {name: x}\n",
			want: []string{
				`apiVersion: "sluice.dev/v1" is not "sluice.dev/v1alpha1"`,
				`kind: "Rollout" is not "Release"`,
			},
		},
		"missing apiVersion and kind": {
			tc: "metadata: {name: x}\n",
			want: []string{
				`apiVersion: must be "sluice.dev/v1alpha1"`,
				`kind: must be "Release"`,
			},
		},
		"apiVersion of the wrong type": {
			tc:   "apiVersion: [a]\nkind: Release\n",
			want: []string{"apiVersion: must be a string"},
		},
		"YAML 1.1 booleans where a string is meant": {
			tc:   header + "spec: {traffic: {match: [{headers: {x-beta: {exact: yes}}}]}}\n",
			want: []string{"spec.traffic.match[0].headers[x-beta].exact: must be a string; put the value in quotes"},
		},
		"not an object": {
			tc:   "- a\n- b\n",
			want: []string{"a Release must be an object, found a list"},
		},
		"empty": {
			tc:   "# nothing here\n\n",
			want: []string{"the file holds no Release"},
		},
		"two documents": {
			tc:   header + "---\n" + header,
			want: []string{"the file holds 2 documents; expected one Release"},
		},
		"leading separator": {tc: "---\n" + header},
		"duplicate key": {
			tc:   header + "spec: {}\nspec: {}\n",
			want: []string{`not valid YAML or JSON: yaml: unmarshal errors: line 5: key "spec" already set in map`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeRelease([]byte(tt.tc))
			got := decodeMessages(t, err)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("DecodeRelease():\n got  %q\n want %q", got, tt.want)
			}
			if err == nil && (r == nil || r.Name != "x") {
				t.Errorf("DecodeRelease() = %+v, want a release named x", r)
			}
			if err != nil && r != nil {
				t.Errorf("DecodeRelease() returned a release along with error %v", err)
			}
		})
	}
}

func TestDecodeReleaseValues(t *testing.T) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeRelease(data)
	if err != nil {
		t.Fatal(err)
	}
	l := r.Spec.Workload.Local
	switch {
	case r.APIVersion != "sluice.dev/v1alpha1" || r.Kind != "Release" || r.Name != "checkout":
		t.Errorf("type and meta = %v %v", r.TypeMeta, r.ObjectMeta)
	case l == nil || l.Stable.StartTimeout == nil || l.Stable.StartTimeout.Duration != time.Minute:
		t.Errorf("stable = %+v", l)
	case l.Canary.URL != "http://127.0.0.1:9002" || l.Stable.Env["LOG_LEVEL"] != "info":
		t.Errorf("local = %+v", l)
	case len(r.Spec.Strategy.Steps) != 5 || *r.Spec.Strategy.Steps[2].SetWeight != 50:
		t.Errorf("steps = %+v", r.Spec.Strategy.Steps)
	case r.Spec.Traffic.Match[1].Cookies["beta"].Regex != "^(yes|true)$":
		t.Errorf("match = %+v", r.Spec.Traffic.Match)
	case *r.Spec.Analysis.Metrics[0].ThresholdRange.Min != 99 || r.Spec.Analysis.Metrics[1].ThresholdRange.Min != nil:
		t.Errorf("metrics = %+v", r.Spec.Analysis.Metrics)
	}
}

func TestDecodeReleases(t *testing.T) {
	tests := map[string]struct {
		tc        string
		wantNames []string
		wantErrs  map[int][]string // by document
	}{
		"one":  {tc: header, wantNames: []string{"x"}},
		"many": {tc: "---\n" + header + "--- # two\n" + strings.Replace(header, "name: x", "name: other", 1) + "---\n\n---\n", wantNames: []string{"x", "other"}},
		"bad documents keep their number": {
			tc:        "# c\n---\n" + header + "spec: {oops: 1}\n---\n" + header + "---\n" + header + "spec: {paused: 3}\n",
			wantNames: []string{"x"},
			wantErrs: map[int][]string{
				1: {"spec.oops: unknown field"},
				3: {"spec.paused: must be true or false"},
			},
		},
		"crlf": {tc: strings.ReplaceAll(header+"---\n"+header, "\n", "\r\n"), wantNames: []string{"x", "x"}},
		"none": {tc: "---\n---\n", wantErrs: map[int][]string{0: {"the file holds no Release"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rs, err := DecodeReleases([]byte(tt.tc))
			var names []string
			for _, r := range rs {
				names = append(names, r.Name)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %q, want %q", names, tt.wantNames)
			}
			got := map[int][]string{}
			for _, de := range DecodeErrors(err) {
				got[de.Document] = formatAll(de.Errs)
			}
			if len(got) != len(tt.wantErrs) {
				t.Fatalf("errors = %v, want %v", got, tt.wantErrs)
			}
			for doc, want := range tt.wantErrs {
				if !slices.Equal(got[doc], want) {
					t.Errorf("document %d errors = %q, want %q", doc, got[doc], want)
				}
			}
		})
	}
}

func TestDecodeErrorUnwrap(t *testing.T) {
	_, err := DecodeRelease([]byte(header + "spec: {stepz: 1, paused: 2}\n"))
	var fe *field.Error
	if !errors.As(err, &fe) || fe.Field != "spec.paused" {
		t.Fatalf("errors.As(*field.Error) = %v, want the spec.paused error", fe)
	}
	want := "invalid release: spec.paused: must be true or false; spec.stepz: unknown field"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	_, err = DecodeReleases([]byte(header + "---\n" + header + "spec: {stepz: 1}\n"))
	want = "invalid release in document 2: spec.stepz: unknown field"
	if err == nil || err.Error() != want {
		t.Errorf("DecodeReleases error = %v, want %q", err, want)
	}
}

// TestTestdata pins what each file in testdata/ produces after Decode, Default and Validate, the path the CLI takes.
func TestTestdata(t *testing.T) {
	tests := map[string]struct {
		tc   string
		want []string
	}{
		"valid":                  {tc: "testdata/valid.yaml"},
		"json":                   {tc: "testdata/shorthand.json"},
		"multi":                  {tc: "testdata/multi.yaml"},
		"istio subsets":          {tc: "testdata/istio-subsets.yaml"},
		"istio two hosts":        {tc: "testdata/istio-hosts.yaml"},
		"target and istio hosts": {tc: "testdata/target-istio.yaml"},
		"gateway API":            {tc: "testdata/gatewayapi.yaml"},
		"invalid Kubernetes release": {
			tc: "testdata/invalid-kubernetes.yaml",
			want: []string{
				`spec.workload.target.deployment: "api.v1" gives Services named api.v1-primary and api.v1-canary, which are not valid Service names: a target needs a name of at most 55 lower-case letters, digits and '-', starting with a letter`,
				"spec.workload.target.port: 70000 is above 65535",
				`spec.traffic.istio.virtualService: "API" is not a valid VirtualService name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
				`spec.traffic.istio.routes[1]: "primary" is already listed at spec.traffic.istio.routes[0]`,
				`spec.traffic.istio.canary.host: must be set because stable names host "api-primary": give the host that subset "v2" belongs to (the same host for two subsets of one Service), or give stable only a subset too`,
				`spec.analysis.prometheus.address: "prometheus:9090" is not an absolute http:// or https:// URL`,
				`spec.analysis.metrics[0].name: "error-rate" is not a known metric; known metrics: request-duration, request-success-rate; or give a query`,
				"spec.analysis.metrics[1].query: {{ service }} is not a known placeholder; use {{ namespace }}, {{ target }}, {{ version }} or {{ window }}",
				`spec.webhooks[0].type: "load-test" is not a webhook type; use pre-rollout, rollout, confirm-promotion, post-rollout, rollback or event`,
				"spec.webhooks[0].timeout: 0s is not a positive duration",
				`spec.webhooks[1].name: "load-test" is already used by spec.webhooks[0]`,
				`spec.webhooks[1].url: "loadtester" is not an absolute http:// or https:// URL`,
			},
		},
		"invalid": {
			tc: "testdata/invalid.yaml",
			want: []string{
				`metadata.name: "Checkout_V2" is not a valid name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
				"spec.workload.local.stable: command and url are both set; set exactly one",
				`spec.workload.local.stable.healthPath: "healthz" must start with '/'`,
				`spec.workload.local.canary.url: "localhost:9002" is not an absolute http:// or https:// URL`,
				`spec.traffic.proxy.listen: "8080" is not a host:port address such as 127.0.0.1:8080`,
				`spec.traffic.match[0].headers[x canary]: "x canary" is not a valid header name`,
				"spec.traffic.match[0].headers[x canary]: exactly one of exact, prefix or regex must be set, found exact and prefix",
				"spec.traffic.match[1]: a match rule needs at least one header or cookie",
				"spec.strategy.steps[1].pause.duration: -1m0s is negative",
				"spec.strategy.steps[2].setWeight: 120 is above 100",
				"spec.analysis.interval: 0s is not a positive duration",
				"spec.analysis.metrics[0].thresholdRange.min: 101 is above 100 percent",
				`spec.analysis.metrics[1].name: "error-budget" is not a known metric; known metrics: request-duration, request-success-rate`,
				"spec.analysis.metrics[1].thresholdRange: needs min, max or both",
				"spec.analysis.metrics[2].thresholdRange: min 99 is above max 90",
				`spec.analysis.metrics[2].name: "request-success-rate" is already checked by spec.analysis.metrics[0]`,
			},
		},
		"unknown fields": {
			tc: "testdata/unknown-fields.yaml",
			want: []string{
				`metadata.lables: unknown field; did you mean "labels"?`,
				"spec.workload.local.stable.startTimeout: must be a duration such as 30s, 1m or 1h30m",
				`spec.workload.local.canary.helthPath: unknown field; did you mean "healthPath"?`,
				"spec.traffic.proxy.port: unknown field",
				"spec.strategy.steps[0].setWeight: must be an integer",
				`spec.strategy.steps[1].pause.duration: "soon" is not a duration such as 30s, 1m or 1h30m`,
				`spec.strategy.stepz: unknown field; did you mean "steps"?`,
				"spec.analysis.threshold: must be an integer",
				"spec.analysis.metrics[0].thresholdRange.min: must be a number",
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(tt.tc)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := DecodeReleases(data)
			got := decodeMessages(t, err)
			for _, r := range rs {
				r.Default()
				got = append(got, formatAll(r.Validate())...)
			}
			if len(rs) == 0 && err == nil {
				t.Fatal("no releases and no error")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("messages:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}
