package local

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/release"
)

// load sends traffic to a proxy address for the rest of the test.
// It starts once the runner in dir serves the release's proxy.
func load(t *testing.T, dir, name, addr string) *loadgen.Generator {
	t.Helper()
	waitFor(t, dir, name, 30*time.Second, "the proxy", func(s *release.View) bool {
		return s.ProxyAddress == "http://"+addr
	})
	ctx, cancel := context.WithCancel(context.Background())
	gen, err := loadgen.New(loadgen.Config{Target: "http://" + addr + "/", Rate: 150, Duration: 2 * time.Minute, Concurrency: 16})
	if err == nil {
		err = gen.Start(ctx)
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { gen.Stop(); cancel() })
	return gen
}

// TestKilledRunResumesAtItsStep kills `sluice run` with SIGKILL while the
// release waits at a pause, starts it again, and checks that it resumes at
// the same step with the traffic where it was, then finishes on promote.
func TestKilledRunResumesAtItsStep(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "resume", addr, "", indent("setWeight: 20", "analysis: {passes: 1}", "setWeight: 40", "pause: {}", "setWeight: 70"))
	first := startRun(t, dir, file)
	load(t, dir, "resume", addr)
	paused := func(s *release.View) bool {
		st := s.Release.Status
		return st.Phase == v1alpha1.PhasePaused && st.StepIndex == 3
	}
	before := waitFor(t, dir, "resume", 30*time.Second, "the pause at step 4", paused)
	if before.Release.Status.CanaryWeight != 40 {
		t.Fatalf("weight at the pause = %d, want 40", before.Release.Status.CanaryWeight)
	}

	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.wait(t, 10*time.Second)

	second := startRun(t, dir, file)
	live := waitFor(t, dir, "resume", 30*time.Second, "the restarted runner", func(s *release.View) bool {
		return s.PID == second.cmd.Process.Pid
	})
	st := live.Release.Status
	if st.Phase != v1alpha1.PhasePaused || st.StepIndex != 3 || st.CanaryWeight != 40 {
		t.Fatalf("after restart: phase %s step %d weight %d, want Paused step 3 weight 40", st.Phase, st.StepIndex, st.CanaryWeight)
	}
	for _, v := range live.Versions {
		if v.Name == "canary" && v.Weight != 40 {
			t.Fatalf("canary weight after restart = %d", v.Weight)
		}
	}
	// The proxy sends the canary its 40% again once the restarted canary
	// answers: nothing goes to the canary's side before (stable's answers
	// would count as the canary's).
	var metrics string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		metrics = httpGet(t, control(t, dir, "resume")+"/metrics")
		if strings.Contains(metrics, `sluice_proxy_canary_weight{release="resume"} 40`) {
			break
		}
	}
	if !strings.Contains(metrics, `sluice_proxy_canary_weight{release="resume"} 40`) {
		t.Fatalf("proxy weight 30s after restart is not 40:\n%s", grep(metrics, "canary_weight"))
	}

	out, code := sluice(t, dir, "promote", "resume")
	if code != 0 {
		t.Fatalf("promote: %d %s", code, out)
	}
	if code := second.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("run exited %d:\n%s", code, second.out)
	}
	final := getJSON(t, dir, "resume")
	if final.Release.Status.Phase != v1alpha1.PhasePromoted {
		t.Fatalf("final phase %s", final.Release.Status.Phase)
	}
}

// TestAbortFromTheCLI aborts a release from another process and checks it
// ends RolledBack with all traffic on stable.
func TestAbortFromTheCLI(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "abort", addr, "", indent("setWeight: 30", "pause: {}"))
	run := startServing(t, dir, file)
	gen := load(t, dir, "abort", addr)
	waitFor(t, dir, "abort", 30*time.Second, "the pause", func(s *release.View) bool {
		return s.Release.Status.Phase == v1alpha1.PhasePaused
	})
	out, code := sluice(t, dir, "abort", "abort")
	if code != 0 || !strings.Contains(out, "abort requested") {
		t.Fatalf("abort: %d %s", code, out)
	}
	snap := waitFor(t, dir, "abort", 30*time.Second, "the rollback", func(s *release.View) bool {
		return s.Release.Status.Phase == v1alpha1.PhaseRolledBack
	})
	st := snap.Release.Status
	if st.CanaryWeight != 0 || !strings.Contains(st.Message, "aborted by user") {
		t.Fatalf("after abort: %s %d %q", st.Phase, st.CanaryWeight, st.Message)
	}
	// After the rollback, every request goes to stable.
	before := gen.Stats().ByVersion["canary"]
	time.Sleep(time.Second)
	gen.Stop()
	s := gen.Stats()
	if s.Errors != 0 || s.Non2xx != 0 || s.OK == 0 {
		t.Fatalf("requests failed: %+v", s)
	}
	if after := s.ByVersion["canary"]; after.OK != before.OK {
		t.Fatalf("canary still served requests after the rollback: %d then %d", before.OK, after.OK)
	}
	if err := run.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Stopped once the release ended, the data plane exits 0; the outcome
	// is the release's status (and --exit-on-done's exit code).
	if code := run.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("run exited %d, want 0 (a normal stop):\n%s", code, run.out)
	}
	if !strings.Contains(run.out.String(), "release abort RolledBack") {
		t.Fatalf("run did not say how the release ended:\n%s", run.out)
	}
}

// TestPauseAndResume holds a release with `sluice pause` and lets it go on
// with `sluice resume`; `sluice get` shows the tree meanwhile.
func TestPauseAndResume(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "pr", addr, "", indent("setWeight: 10", "pause: {duration: 2s}", "setWeight: 50", "analysis: {passes: 1}"))
	run := startRun(t, dir, file)
	load(t, dir, "pr", addr)
	waitFor(t, dir, "pr", 30*time.Second, "step 2", func(s *release.View) bool { return s.Release.Status.StepIndex == 1 })
	if out, code := sluice(t, dir, "pause", "pr"); code != 0 {
		t.Fatalf("pause: %s", out)
	}
	waitFor(t, dir, "pr", 10*time.Second, "the user pause", func(s *release.View) bool {
		return s.Release.Status.Phase == v1alpha1.PhasePaused && strings.Contains(s.Release.Status.Message, "paused by user")
	})
	time.Sleep(2500 * time.Millisecond) // longer than the timed pause: it must hold
	tree, _ := sluice(t, dir, "get", "pr")
	for _, want := range []string{"Paused", "Weight:", "10% canary", "stable (v1)", "canary (v2)", "▶  2. pause: 2s", "PausedByUser"} {
		if !strings.Contains(tree, want) {
			t.Fatalf("get output lacks %q:\n%s", want, tree)
		}
	}
	if out, code := sluice(t, dir, "resume", "pr"); code != 0 {
		t.Fatalf("resume: %s", out)
	}
	if code := run.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("run exited %d:\n%s", code, run.out)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
