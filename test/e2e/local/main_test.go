package local

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/test/e2e/envtest"
)

// sluiceBin is the sluice binary, built once for all tests.
var sluiceBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m, envtest.Binary{Package: envtest.SluicePackage, Path: &sluiceBin})
}

// sluice runs a sluice command to its end and returns its output and exit code.
func sluice(t *testing.T, stateDir string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, append([]string{"--state-dir", stateDir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sluice %v: %v", args, err)
	}
	return out.String(), code
}

// started is a `sluice run` in the background.
type started struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

// startRun starts `sluice run --exit-on-done`: it ends with the release.
func startRun(t *testing.T, stateDir, file string, extra ...string) *started {
	t.Helper()
	return startServing(t, stateDir, file, append([]string{"--exit-on-done"}, extra...)...)
}

// startServing starts `sluice run` as the data plane: it serves until it
// is stopped.
func startServing(t *testing.T, stateDir, file string, extra ...string) *started {
	t.Helper()
	cmd := exec.Command(sluiceBin, append([]string{"--state-dir", stateDir, "run", "-q", "-f", file}, extra...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, out: &out, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := <-s.done; err != nil {
			t.Logf("sluice run: %v", err)
		}
	})
	return s
}

// wait ends when the process exits or the timeout passes.
func (s *started) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("sluice run did not end within %s; output:\n%s", timeout, s.out)
		return -1
	}
}

// getJSON reads a release's view as the CLI and the dashboard do: live
// from its runner (with the state dir's token), or as saved.
func getJSON(t *testing.T, stateDir, name string) *release.View {
	t.Helper()
	c := local.NewClient(stateDir)
	c.Secrets = true
	v, _, err := c.Get(context.Background(), name)
	if err != nil {
		return nil
	}
	return v
}

// waitFor polls the release until cond holds, within timeout.
func waitFor(t *testing.T, stateDir, name string, timeout time.Duration, what string, cond func(*release.View) bool) *release.View {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *release.View
	for time.Now().Before(deadline) {
		if s := getJSON(t, stateDir, name); s != nil {
			last = s
			if cond(s) {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("waiting for %s: last phase %s step %d weight %d: %s", what, last.Release.Status.Phase, last.Release.Status.StepIndex, last.Release.Status.CanaryWeight, last.Release.Status.Message)
	}
	t.Fatalf("waiting for %s: no release state", what)
	return nil
}

// control is the base URL of the running runner's control endpoint, from
// the state file.
func control(t *testing.T, stateDir, name string) string {
	t.Helper()
	s, err := local.LoadState(local.StatePath(stateDir, name))
	if err != nil || s.Runner == nil || s.Runner.Control == "" {
		t.Fatalf("no running runner in the state of %s: %v", name, err)
	}
	return s.Runner.Control
}

// freeAddr returns a free loopback address for a proxy.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// writeRelease writes a release file of the sample app run by the sluice
// binary itself, with the given steps (YAML lines) and fast checks. The
// latency bound is loose (500 ms for a 2 ms app): a loaded race-enabled
// suite stretches a 1 s window's p99 past 100 ms, and a healthy canary
// must not be rolled back for it; faulty canaries here fail on errors.
func writeRelease(t *testing.T, name, listen, canaryArgs, steps string) string {
	t.Helper()
	return writeReleaseOf(t, name, listen, "v2", canaryArgs, steps)
}

// writeReleaseOf is writeRelease with a canary of another version.
func writeReleaseOf(t *testing.T, name, listen, canary, canaryArgs, steps string) string {
	t.Helper()
	yaml := fmt.Sprintf(`apiVersion: sluice.dev/v1alpha1
kind: Release
metadata:
  name: %s
spec:
  workload:
    local:
      stable:
        version: v1
        command: [%q, "app", "--version=v1", "--latency=2ms"]
      canary:
        version: %s
        command: [%q, "app", "--version=%s"%s]
  traffic:
    proxy:
      listen: %s
  strategy:
    steps:
%s
  analysis:
    interval: 500ms
    threshold: 2
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        window: 1s
      - name: request-duration
        thresholdRange: {max: 500}
        window: 1s
`, name, sluiceBin, canary, sluiceBin, canary, canaryArgs, listen, steps)
	path := filepath.Join(t.TempDir(), name+"-"+canary+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func indent(lines ...string) string {
	for i, l := range lines {
		lines[i] = "      - " + l
	}
	return strings.Join(lines, "\n")
}

// appendSpec adds spec fields (YAML lines indented under spec) to a
// release file written by writeRelease, whose spec ends the file.
func appendSpec(t *testing.T, file, yaml string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
}
