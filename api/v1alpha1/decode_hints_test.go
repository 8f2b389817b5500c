package v1alpha1

import (
	"slices"
	"strings"
	"testing"
)

func TestDecodeHints(t *testing.T) {
	tests := map[string]struct {
		doc  string
		want []string
	}{
		"a typo in a step": {
			doc:  header + "spec: {strategy: {steps: [{setWieght: 10}]}}",
			want: []string{`spec.strategy.steps[0].setWieght: unknown field; did you mean "setWeight"?`},
		},
		"a typo in another case": {
			doc:  header + "spec: {traffic: {istio: {virtualservice: api}}}",
			want: []string{`spec.traffic.istio.virtualservice: unknown field; did you mean "virtualService"?`},
		},
		"a field in the wrong section": {
			doc:  header + "spec: {analysis: {stepWeight: 10, maxWeight: 50}}",
			want: []string{"spec.analysis.maxWeight: unknown field; maxWeight belongs in spec.strategy", "spec.analysis.stepWeight: unknown field; stepWeight belongs in spec.strategy"},
		},
		"a misspelt field in the wrong section": {
			doc:  header + "spec: {strategy: {noDataTimeout: 2m}}",
			want: []string{"spec.strategy.noDataTimeout: unknown field; noDataTimeout belongs in spec.analysis"},
		},
		"a general name is not sent elsewhere": {
			doc:  header + "spec: {traffic: {proxy: {listen: 127.0.0.1:8080, port: 8080}}}",
			want: []string{"spec.traffic.proxy.port: unknown field"},
		},
		"Flagger's metric interval": {
			doc:  header + "spec: {analysis: {metrics: [{name: request-success-rate, interval: 1m, thresholdRange: {min: 99}}]}}",
			want: []string{"spec.analysis.metrics[0].interval: unknown field; Flagger's metrics[].interval is Sluice's window"},
		},
		"Flagger's analysis written as a Release": {
			doc: header + `spec:
  targetRef: {kind: Deployment, name: api}
  analysis: {iterations: 10, webhooks: [{name: load, url: "http://x/"}], metrics: [{name: x, threshold: 99, templateRef: {name: t}}]}
`,
			want: []string{
				"spec.analysis.metrics[0].templateRef: unknown field; Sluice has no metric templates: write the PromQL in query, with {{ namespace }}, {{ target }}, {{ version }} and {{ window }}",
				"spec.analysis.metrics[0].threshold: unknown field; Flagger's metrics[].threshold is thresholdRange: {min: …}",
				"spec.analysis.iterations: unknown field; Flagger's iterations are steps: spec.strategy.steps: [{analysis: {passes: N}}]",
				"spec.analysis.webhooks: unknown field; webhooks belong in spec.webhooks (Flagger nests them in analysis); an untyped Flagger webhook is type: rollout",
				"spec.targetRef: unknown field; Flagger's targetRef is spec.workload.target: {deployment: NAME, port: PORT}; `sluice convert -f FILE` writes a Release from a Flagger Canary or an Argo Rollout",
			},
		},
		"Argo's steps written as a Release": {
			doc:  header + "spec: {strategy: {canaryService: api-canary, steps: [{setHeaderRoute: {name: h}}]}}",
			want: []string{"spec.strategy.steps[0].setHeaderRoute: unknown field; header routes are spec.traffic.match, used while a canary is under test", "spec.strategy.canaryService: unknown field; the canary's Service is spec.traffic.istio.canary.host or spec.traffic.gatewayAPI.canaryService"},
		},
		"a Flagger Canary is one error": {
			doc:  "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec: {targetRef: {name: api}, analysis: {interval: 1m}}\n",
			want: []string{"kind: \"Canary\" is not \"Release\": this is a Flagger Canary; `sluice convert -f FILE` writes a Release from a Flagger Canary or an Argo Rollout"},
		},
		"an Argo Rollout is one error": {
			doc:  "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: api}\nspec: {replicas: 3}\n",
			want: []string{"kind: \"Rollout\" is not \"Release\": this is an Argo Rollout; `sluice convert -f FILE` writes a Release from a Flagger Canary or an Argo Rollout"},
		},
		"zeros that would become defaults": {
			doc: header + `spec:
  workload: {target: {deployment: api, port: 80, targetPort: 0}}
  strategy: {stepWeight: 0, maxWeight: 0, steps: [{analysis: {passes: 0}}, {pause: {duration: 0s}}, {pause: {duration: 0m}}]}
  analysis: {threshold: 0, judge: {alpha: 0, minRequests: 0}}
`,
			want: []string{
				"spec.workload.target.targetPort: 0: leave targetPort out to use port",
				"spec.strategy.stepWeight: 0: a step of 0% never moves traffic: stepWeight is 1 to 100",
				"spec.strategy.maxWeight: 0: maxWeight is 1 to 100; leave it out for the default 50",
				"spec.strategy.steps[0].analysis.passes: 0: a gate needs at least 1 passing check; leave passes out for the default 1",
				"spec.strategy.steps[1].pause.duration: 0s: a pause of 0s would wait until `sluice promote`; leave duration out for that (pause: {}), or give how long to wait",
				"spec.strategy.steps[2].pause.duration: 0m: a pause of 0s would wait until `sluice promote`; leave duration out for that (pause: {}), or give how long to wait",
				"spec.analysis.threshold: 0: 0 failed checks cannot roll back: the threshold is at least 1; leave it out for the default 5",
				"spec.analysis.judge.alpha: 0: an alpha of 0 would never roll back: it is above 0 and at most 0.5; leave it out for the default 0.01",
				"spec.analysis.judge.minRequests: 0: 0 is not a minimum: leave it out for the default 500, or give 1 or more",
			},
		},
		"empty strings that would become defaults": {
			doc: header + `spec:
  workload: {local: {stable: {version: "", healthPath: "", url: "http://127.0.0.1:1"}, canary: {version: "", healthPath: "", url: "http://127.0.0.1:2"}}}
  analysis: {prometheus: {address: ""}}
  alerts: [{name: a, provider: slack, severity: "", urlSecretRef: {name: s, key: ""}}]
`,
			want: []string{
				`spec.workload.local.stable.version: "": an empty version is shown as "stable"; leave it out for that, or name the version`,
				`spec.workload.local.canary.version: "": an empty version is shown as "canary"; leave it out for that, or name the version`,
				`spec.workload.local.stable.healthPath: "": an empty health path is /healthz; leave it out for that`,
				`spec.workload.local.canary.healthPath: "": an empty health path is /healthz; leave it out for that`,
				`spec.analysis.prometheus.address: "": an empty address is the controller's --prometheus-address; leave it out for that`,
				`spec.alerts[0].severity: "": an empty severity is info (every alert); leave it out for that`,
				`spec.alerts[0].urlSecretRef.key: "": an empty key is "url"; leave it out for that`,
			},
		},
		"zeros that mean zero are fine": {
			doc: header + "spec: {strategy: {steps: [{setWeight: 0}, {pause: {}}]}, analysis: {metrics: [{name: request-duration, thresholdRange: {min: 0, max: 500}}]}}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeRelease([]byte(tc.doc))
			got := decodeMessages(t, err)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestForeignHintsAreReachable keeps the hint table honest: each hint is
// for a field the Release does not have (or it would never be shown),
// under an object it does have (or no one could put it there).
func TestForeignHintsAreReachable(t *testing.T) {
	fields := specFields()
	for path := range foreignHints {
		if slices.Contains(fields, path) {
			t.Errorf("%s is a field of the Release; its hint would never be shown", path)
		}
		parent, _ := splitLast(path)
		parent = strings.TrimSuffix(parent, "[*]")
		if parent != "spec" && !slices.Contains(fields, parent) {
			t.Errorf("%s: the Release has no %s to put it in", path, parent)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"setWieght", "setweight", 1}, // a swap counts once
		{"stepz", "steps", 1},
		{"", "abc", 3},
		{"threshold", "threshold", 0},
		{"metrics", "metricz", 1},
		{"kitten", "sitting", 3},
	}
	for _, tc := range tests {
		if got := editDistance(strings.ToLower(tc.a), strings.ToLower(tc.b)); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
