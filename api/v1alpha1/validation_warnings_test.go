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
