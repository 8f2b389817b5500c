package security

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// sluiceRun is a `sluice run` in the background, stopped by its PID when
// the test ends.
type sluiceRun struct {
	stateDir, name, proxyAddr string
	out                       *bytes.Buffer
}

// startSluice writes a release file — proxy, YAML lines under
// spec.traffic.proxy beside its listen address; spec, the rest of the spec
// — starts `sluice run` on it and waits until its proxy answers.
func startSluice(t *testing.T, name, proxy, spec string) *sluiceRun {
	t.Helper()
	dir := t.TempDir()
	s := &sluiceRun{stateDir: filepath.Join(dir, "state"), name: name, proxyAddr: freeAddr(t), out: &bytes.Buffer{}}
	file := filepath.Join(dir, name+".yaml")
	yaml := fmt.Sprintf("apiVersion: sluice.dev/v1alpha1\nkind: Release\nmetadata:\n  name: %s\nspec:\n  traffic:\n    proxy:\n      listen: %s\n%s%s",
		name, s.proxyAddr, proxy, spec)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sluiceBin, "--state-dir", s.stateDir, "run", "-q", "-f", file)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			t.Logf("sluice run ended: %v", err)
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Logf("sluice run killed: %v", <-done)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("sluice run ended early (%v):\n%s", err, s.out)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.proxyAddr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("sluice run's proxy never listened on %s:\n%s", s.proxyAddr, s.out)
	return nil
}

// snapshot reads the release's view as the CLI does: live from its runner.
func (s *sluiceRun) snapshot(t *testing.T) *release.View {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, _, err := local.NewClient(s.stateDir).Get(ctx, s.name)
	if err != nil {
		t.Fatalf("reading the release: %v", err)
	}
	return v
}

// waitFor polls the release until cond holds, within timeout.
func (s *sluiceRun) waitFor(t *testing.T, timeout time.Duration, what string, cond func(*release.View) bool) *release.View {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		snap := s.snapshot(t)
		if cond(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			st := snap.Release.Status
			t.Fatalf("waiting for %s: phase %s, step %d, weight %d: %s\n%s", what, st.Phase, st.StepIndex, st.CanaryWeight, st.Message, s.out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// client is a keep-alive client that never waits long.
func client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}
}
