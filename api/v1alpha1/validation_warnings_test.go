package v1alpha1

import (
	"slices"
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	tests := map[string]struct {
		spec string
		want []string
	}{
		"percent written as a fraction": {
			spec: "analysis: {metrics: [{name: request-success-rate, thresholdRange: {min: 0.99}}]}",
			want: []string{"spec.analysis.metrics[0].thresholdRange.min: 0.99 is 0.99 percent: request-success-rate is a percent from 0 to 100; did you mean 99?"},
		},
		"a success rate that always passes": {
			spec: "analysis: {metrics: [{name: request-success-rate, thresholdRange: {min: 0}}]}",
			want: []string{"spec.analysis.metrics[0].thresholdRange.min: a success rate of at least 0 percent always passes"},
		},
		"seconds written for milliseconds": {
			spec: "analysis: {metrics: [{name: request-duration, thresholdRange: {max: 0.5}}]}",
			want: []string{"spec.analysis.metrics[0].thresholdRange.max: 0.5 is 0.5 milliseconds: request-duration is in milliseconds; did you mean 500?"},
		},
		"a latency that always fails": {
			spec: "analysis: {metrics: [{name: request-duration, thresholdRange: {max: 0}}]}",
			want: []string{"spec.analysis.metrics[0].thresholdRange.max: a p99 latency of at most 0 milliseconds always fails"},
		},
		"a custom query has its own unit": {
			spec: "analysis: {metrics: [{name: request-success-rate, query: 'sum(x)', thresholdRange: {min: 0.99}}]}",
		},
		"sensible ranges": {
			spec: "analysis: {metrics: [{name: request-success-rate, thresholdRange: {min: 99}}, {name: request-duration, thresholdRange: {max: 500}}]}",
		},
		"a weight lower than an earlier one": {
			spec: "strategy: {steps: [{setWeight: 10}, {setWeight: 30}, {pause: {}}, {setWeight: 20}, {setWeight: 30}]}",
			want: []string{"spec.strategy.steps[3].setWeight: 20% is less than an earlier step's 30%: the canary's traffic goes down mid-release"},
		},
		"the same version label for two commands": {
			spec: `workload: {local: {stable: {version: v1, command: [app, "--v=1"]}, canary: {version: v1, command: [app, "--v=2"]}}}`,
			want: []string{"spec.workload.local.canary.version: v1 is the stable's version too, for another command or URL: the two cannot be told apart in `sluice get`, the dashboard and the metrics; give the canary its own"},
		},
		"the same version once promoted, in a file at rest": {
			spec: `workload: {local: {stable: {version: v2, command: [app, "--v=2"]}, canary: {version: v2, command: [app, "--v=2"]}}}`,
		},
		"a proxy on every interface": {
			spec: `traffic: {proxy: {listen: "0.0.0.0:8080"}}`,
			want: []string{"spec.traffic.proxy.listen: 0.0.0.0:8080 is reachable from other machines, not only this one: right for a shared host, otherwise listen on 127.0.0.1"},
		},
		"a proxy on loopback": {spec: `traffic: {proxy: {listen: "127.0.0.1:8080"}}`},
		"scaleDownStable": {
			spec: "workload: {deployments: {stable: a, canary: b, scaleDownStable: true}}",
			want: []string{"spec.workload.deployments.scaleDownStable: has no effect any more: the stable Deployment always serves, and the idle canary is the one scaled to zero; leave it out"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeRelease([]byte(header + "spec: " + indentFlow(tc.spec)))
			if err != nil {
				t.Fatal(err)
			}
			got := formatAll(r.Warnings())
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// indentFlow wraps one spec member written in flow style as the spec.
func indentFlow(member string) string { return "{" + member + "}\n" }
