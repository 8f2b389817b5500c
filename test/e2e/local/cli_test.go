package local

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
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

// TestBadFiles: a release file too large, an endless device and a FIFO
// nobody writes to end with a clear error or at Ctrl-C, without taking the
// machine's memory; `-f -` reads standard input.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), 300_000), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"a 3 MB file": big, "/dev/zero": "/dev/zero"} {
		t.Run(name, func(t *testing.T) {
			out, code := sluice(t, dir, "lint", "-f", file)
			if code != 1 || !strings.Contains(out, "a release file is at most 1024 KiB") {
				t.Fatalf("lint %s: exit %d:\n%s", file, code, out)
			}
		})
	}
	t.Run("standard input", func(t *testing.T) {
		example, err := os.ReadFile("../../../examples/local/release.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sluiceBin, "lint", "-f", "-")
		cmd.Stdin = bytes.NewReader(example)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "-: ok: 7 steps") {
			t.Fatalf("lint -f -: %v\n%s", err, out)
		}
	})
	t.Run("a FIFO nobody writes to, and Ctrl-C", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sluiceBin, "lint", "-f", fifo)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case werr := <-done:
			if cmd.ProcessState == nil {
				t.Fatalf("lint did not run: %v", werr)
			}
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("lint ignored Ctrl-C while it waited on a FIFO")
		}
		if code := cmd.ProcessState.ExitCode(); code != 130 || strings.Contains(out.String(), "Error:") {
			t.Fatalf("exit %d, want a quiet 130:\n%s", code, out.String())
		}
	})
}

// TestGetOutputs: `sluice get` prints like kubectl: -o json and -o yaml
// are Release objects (a ReleaseList for the list), -o name their names,
// -o wide a wider table; a release neither local nor in a cluster (none is
// configured) is said to be missing, never looked up on localhost:8080.
func TestGetOutputs(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "shown", addr, `, "--latency=2ms"`, indent("setWeight: 20", "pause: {}"))
	run := startRun(t, dir, file)
	waitFor(t, dir, "shown", 30*time.Second, "the pause", func(s *release.View) bool { return s.Release.Status.Phase == v1alpha1.PhasePaused })
	_ = run.cmd.Process.Signal(syscall.SIGTERM)
	run.wait(t, 30*time.Second)

	out, code := sluice(t, dir, "get", "shown", "-o", "json")
	var rel v1alpha1.Release
	if err := json.Unmarshal([]byte(out), &rel); code != 0 || err != nil {
		t.Fatalf("get -o json: %d %v\n%s", code, err, out)
	}
	if rel.APIVersion != "sluice.dev/v1alpha1" || rel.Kind != "Release" || rel.Name != "shown" || rel.Status.Phase != v1alpha1.PhasePaused || len(rel.Spec.Strategy.Steps) != 2 {
		t.Fatalf("get -o json is not the Release: %+v", rel)
	}
	out, code = sluice(t, dir, "get", "-o", "json")
	var list v1alpha1.ReleaseList
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || list.Kind != "ReleaseList" || len(list.Items) != 1 || list.Items[0].Name != "shown" {
		t.Fatalf("get -o json (the list): %d %v\n%s", code, err, out)
	}
	if out, code = sluice(t, dir, "get", "shown", "-o", "yaml"); code != 0 || !strings.Contains(out, "kind: Release\n") || !strings.Contains(out, "phase: Paused") {
		t.Fatalf("get -o yaml: %d\n%s", code, out)
	}
	if out, code = sluice(t, dir, "get", "-o", "name"); code != 0 || strings.TrimSpace(out) != "release.sluice.dev/shown" {
		t.Fatalf("get -o name: %d %q", code, out)
	}
	if out, code = sluice(t, dir, "get", "-o", "wide"); code != 0 || !strings.Contains(out, "STABLE") || !strings.Contains(out, "paused until promoted") {
		t.Fatalf("get -o wide: %d\n%s", code, out)
	}
	if out, code = sluice(t, dir, "get", "-o", "xml"); code != 1 || !strings.Contains(out, "use json, yaml, name, wide") {
		t.Fatalf("get -o xml: %d\n%s", code, out)
	}

	cmd := exec.Command(sluiceBin, "--state-dir", dir, "promote", "nosuch")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "KUBECONFIG=", "KUBERNETES_SERVICE_HOST=")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), `no release "nosuch" (local: shown; no cluster configured`) {
		t.Fatalf("promote nosuch without a cluster: %v\n%s", err, b)
	}
}
