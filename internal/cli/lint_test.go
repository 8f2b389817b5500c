package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lintGood = `apiVersion: sluice.dev/v1alpha1
kind: Release
metadata: {name: good}
spec:
  workload: {deployments: {stable: api-stable, canary: api-canary}}
  traffic: {istio: {virtualService: api, stable: {host: api-stable}, canary: {host: api-canary}}}
  strategy: {steps: [{setWeight: 20}, {pause: {duration: 1m}}]}
`

const lintService = `apiVersion: v1
kind: Service
metadata: {name: api-stable}
spec: {ports: [{port: 80}]}
`

// runLint runs `sluice lint` in process with args and stdin, in dir.
func runLint(t *testing.T, dir, stdin string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	root := NewRootCommand(&out, &out)
	root.SetArgs(append([]string{"lint"}, args...))
	root.SetIn(strings.NewReader(stdin))
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(wd) }()
	err := root.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		code = 1
		out.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), code
}

func TestLint(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.yaml", lintGood)
	write("typo.yaml", strings.Replace(lintGood, "{setWeight: 20}", "{setWieght: 20}", 1))
	write("empty.yaml", "# nothing yet\n---\n")
	write("canary.yaml", "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec: {targetRef: {kind: Deployment, name: api}}\n")
	write("service.yaml", lintService)
	write("converted.yaml", lintService+"---\n"+lintGood)
	write("warn.yaml", lintGood+"  analysis: {metrics: [{name: request-success-rate, thresholdRange: {min: 0.99}}]}\n")
	write("deploy/a/release.yaml", lintGood)
	write("deploy/b/release.yml", strings.Replace(lintGood, "name: good", "name: other", 1))
	write("deploy/kustomization.yaml", "resources: [a/release.yaml]\n")
	write("deploy/svc.json", `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}`)

	tests := map[string]struct {
		args    []string
		stdin   string
		code    int
		want    []string
		notWant []string
	}{
		"a file without -f": {
			args: []string{"good.yaml"},
			want: []string{"good.yaml: ok: 2 steps (weights 20%), 1 pause(s), no analysis, then promote"},
		},
		"-f as before": {
			args: []string{"-f", "good.yaml"},
			want: []string{"good.yaml: ok:"},
		},
		"standard input": {
			args: []string{"-"}, stdin: lintGood,
			want: []string{"-: ok:"},
		},
		"standard input with -f -": {
			args: []string{"-f", "-"}, stdin: lintGood,
			want: []string{"-: ok:"},
		},
		"a typo is named": {
			args: []string{"good.yaml", "typo.yaml"}, code: 1,
			want: []string{"good.yaml: ok:", "typo.yaml: ", `spec.strategy.steps[0].setWieght: unknown field; did you mean "setWeight"?`},
		},
		"an empty file is one error": {
			args: []string{"empty.yaml"}, code: 1,
			want:    []string{"empty.yaml: the file is empty: it holds no Release"},
			notWant: []string{"spec.", "metadata.name"},
		},
		"a Flagger Canary says to convert it": {
			args: []string{"canary.yaml"}, code: 1,
			want:    []string{"canary.yaml: 1 error(s)", "this is a Flagger Canary; `sluice convert -f FILE`"},
			notWant: []string{"targetRef", "spec.workload"},
		},
		"an explicit file without a Release": {
			args: []string{"service.yaml"}, code: 1,
			want: []string{"service.yaml: holds no Release, only Service api-stable"},
		},
		"convert's output: the Release is checked, the rest skipped": {
			args: []string{"converted.yaml"},
			want: []string{"converted.yaml (document 2): ok:", "converted.yaml: skipped Service api-stable (not a Release)"},
		},
		"warnings do not fail": {
			args: []string{"warn.yaml"},
			want: []string{"warn.yaml: ok:", "warning: spec.analysis.metrics[0].thresholdRange.min: 0.99 is 0.99 percent"},
		},
		"a directory without Releases": {
			args: []string{"deploy"}, code: 1,
			want:    []string{"no Release in 2 file(s)"},
			notWant: []string{"release.yaml", "kustomization.yaml: ", "svc.json: "},
		},
		"a directory, recursively": {
			args:    []string{"-R", "deploy"},
			want:    []string{"deploy/a/release.yaml: ok:", "deploy/b/release.yml: ok:"},
			notWant: []string{"kustomization.yaml: ", "svc.json: "},
		},
		"a quoted glob": {
			args: []string{"deploy/*/release.y*ml"},
			want: []string{"deploy/a/release.yaml: ok:", "deploy/b/release.yml: ok:"},
		},
		"a glob without a match": {
			args: []string{"nowhere/*.yaml"}, code: 1,
			want: []string{"nowhere/*.yaml: no file matches"},
		},
		"a missing file is reported with the others": {
			args: []string{"missing.yaml", "good.yaml"}, code: 1,
			want: []string{"missing.yaml", "no such file", "good.yaml: ok:"},
		},
		"nothing to lint": {
			code: 1,
			want: []string{"give the files to lint"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, code := runLint(t, dir, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}
