package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runConvert runs `sluice convert` in process and returns stdout, stderr
// and whether it failed.
func runConvert(t *testing.T, stdin string, args ...string) (string, string, bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCommand(&out, &errOut)
	root.SetArgs(append([]string{"convert"}, args...))
	root.SetIn(strings.NewReader(stdin))
	err := root.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), err != nil
}

const canaryDoc = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api, namespace: shop}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  service: {port: 80}
  analysis:
    interval: 1m
    stepWeight: 10
    metrics: [{name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}]
`

func TestConvert(t *testing.T) {
	tests := map[string]struct {
		stdin      string
		args       []string
		fails      bool
		wantOut    []string
		wantErr    []string
		notWantOut []string
	}{
		"a Canary from standard input": {
			stdin:   canaryDoc,
			args:    []string{"-f", "-"},
			wantOut: []string{"# Converted by sluice convert from Flagger Canary shop/api", "kind: Release", "kind: VirtualService", "kind: Service"},
			wantErr: []string{"Flagger Canary shop/api → Release api and 2 object(s): "},
		},
		"a file as an argument": {
			args:    []string{"../convert/testdata/argo-gatewayapi.yaml"},
			wantOut: []string{"kind: Release", "name: search-canary"},
		},
		"the report": {
			stdin:   canaryDoc,
			args:    []string{"-f", "-", "--report"},
			wantErr: []string{"Canary shop/api spec.analysis.metrics[0].interval → spec.analysis.metrics[0].window\n"},
		},
		"a field convert does not know": {
			stdin:   strings.Replace(canaryDoc, "  service: {port: 80}", "  service: {port: 80}\n  futureField: true", 1),
			args:    []string{"-f", "-"},
			wantOut: []string{"# Unknown to sluice convert, check by hand:\n#   spec.futureField:"},
			wantErr: []string{"warning: 1 field(s) unknown to sluice convert", "Canary shop/api spec.futureField"},
		},
		"an object that cannot be converted": {
			stdin:   strings.Replace(canaryDoc, "kind: Deployment", "kind: DaemonSet", 1),
			args:    []string{"-f", "-"},
			fails:   true,
			wantErr: []string{"Canary shop/api: spec.targetRef.kind: DaemonSet: Sluice releases Deployments only"},
		},
		"a Release is not a Canary": {
			stdin:   "apiVersion: sluice.dev/v1alpha1\nkind: Release\nmetadata: {name: x}\n",
			args:    []string{"-f", "-"},
			fails:   true,
			wantErr: []string{"the input holds no Flagger Canary"},
		},
		"not YAML": {
			stdin:   "{[",
			args:    []string{"-f", "-"},
			fails:   true,
			wantErr: []string{"reading the input"},
		},
		"nothing to convert": {
			fails:   true,
			wantErr: []string{"give the files to convert"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, errOut, failed := runConvert(t, tc.stdin, tc.args...)
			if failed != tc.fails {
				t.Errorf("failed = %v, want %v", failed, tc.fails)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q", w)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
			}
		})
	}
}
