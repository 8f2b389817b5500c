package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: sluice.dev/v1alpha1
kind: Release
metadata: {name: bad}
spec:
  workload:
    local:
      stable: {url: "http://127.0.0.1:9001"}
      canary: {url: "http://127.0.0.1:9002"}
  traffic:
    proxy: {listen: "127.0.0.1:8080"}
  strategy:
    steps:
      - setWeight: 10
      - pause: {duration: 1m}
      - setWeight: 120
    stepz: 3
  analysis:
    metrics:
      - name: request-succes-rate # misspelt on purpose
        thresholdRange: {min: 99}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		file     string
		wantCode int
		want     []string
	}{
		"invalid file names every field": {
			file: bad, wantCode: 1,
			want: []string{"spec.strategy.steps[2].setWeight: 120 is above 100", "spec.strategy.stepz", "spec.analysis.metrics[0].name: \"request-succes-rate\" is not a known metric"},
		},
		"the example is valid": {
			file: "../../../examples/local/release.yaml", wantCode: 0,
			want: []string{"ok: 7 steps (weights 10 → 30 → 50%)"},
		},
		"the shorthand example is valid": {
			file: "../../../examples/local/shorthand.yaml", wantCode: 0,
			want: []string{"ok: 10 steps (weights 10 → 20 → 30 → 40 → 50%)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, code := sluice(t, dir, "lint", "-f", tc.file)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDemo runs `sluice demo` as a user would and checks both releases
// ended as they must.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes about half a minute")
	}
	out, code := sluice(t, t.TempDir(), "demo")
	if code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, out)
	}
	for _, want := range []string{"Promoted", "RolledBack", "✔ demo-healthy", "✔ demo-faulty", "check 1/3 failed: canary"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
