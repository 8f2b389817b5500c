package local

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLintFiles runs `sluice lint` as a user would, on the files of
// examples/ and on mistakes: positional files, a directory, a quoted glob,
// standard input, an empty file, a typo, a Flagger Canary.
func TestLintFiles(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"empty.yaml":  "\n# later\n",
		"typo.yaml":   strings.Replace(lintFileText(t, "../../../examples/kubernetes/istio-services.yaml"), "setWeight:", "setWieght:", 1),
		"canary.yaml": "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec: {targetRef: {kind: Deployment, name: api}}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]struct {
		args  []string
		stdin string
		code  int
		want  []string
	}{
		"positional files": {
			args: []string{"../../../examples/local/release.yaml", "../../../examples/local/shorthand.yaml"},
			want: []string{"release.yaml: ok: 7 steps", "shorthand.yaml: ok: 10 steps"},
		},
		"a directory": {
			args: []string{"../../../examples/kubernetes"},
			want: []string{"gateway-api.yaml: ok:", "istio-subsets.yaml: ok:", "target-istio.yaml: ok:"},
		},
		"a quoted glob": {
			args: []string{"../../../examples/*/istio-*.yaml"},
			want: []string{"istio-services.yaml: ok:", "istio-subsets.yaml: ok:"},
		},
		"standard input": {
			args: []string{"-"}, stdin: lintFileText(t, "../../../examples/local/release.yaml"),
			want: []string{"-: ok: 7 steps"},
		},
		"an empty file is one error": {
			args: []string{filepath.Join(dir, "empty.yaml")}, code: 1,
			want: []string{"empty.yaml: the file is empty: it holds no Release\nError: invalid release file(s)\n"},
		},
		"a typo": {
			args: []string{filepath.Join(dir, "typo.yaml")}, code: 1,
			want: []string{`setWieght: unknown field; did you mean "setWeight"?`},
		},
		"a Flagger Canary": {
			args: []string{filepath.Join(dir, "canary.yaml")}, code: 1,
			want: []string{"canary.yaml: 1 error(s)\n  kind: \"Canary\" is not \"Release\": this is a Flagger Canary; `sluice convert -f FILE`"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sluiceBin, append([]string{"lint"}, tc.args...)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok { //nolint:errorlint // only the exit code matters
				code = ee.ExitCode()
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}

func lintFileText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
