package local

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
	localwl "sluice.dev/sluice/internal/workload/local"
)

// appLoad sends load through a proxy and counts the answers by the
// sample app's own version header, so a test sees which version served.
func appLoad(t *testing.T, dir, name, addr string) *loadgen.Generator {
	t.Helper()
	waitFor(t, dir, name, 30*time.Second, "the proxy", func(s *release.View) bool { return s.ProxyAddress == "http://"+addr })
	ctx, cancel := context.WithCancel(context.Background())
	gen, err := loadgen.New(loadgen.Config{Target: "http://" + addr + "/", Rate: 150, Duration: 5 * time.Minute, Concurrency: 16, VersionHeader: "X-App-Version"})
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

func phaseOf(p v1alpha1.Phase) func(*release.View) bool {
	return func(s *release.View) bool { return s.Release.Status.Phase == p }
}

// TestReleasesInARow runs two releases through one `sluice run`: the first
// canary is promoted, the runner keeps serving it, and a release file
// with the next canary, handed over by `sluice run -f` from another
// process, starts the next release against the promoted version. Under
// load all along, no request fails, and once v2 is promoted no request
// reaches v1 again, although the file still names v1 as stable.
func TestReleasesInARow(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	steps := indent("setWeight: 30", "analysis: {passes: 1}", "setWeight: 60", "analysis: {passes: 1}")
	first := writeReleaseOf(t, "row", addr, "v2", `, "--latency=2ms"`, steps)
	run := startServing(t, dir, first)
	gen := appLoad(t, dir, "row", addr)

	start := time.Now()
	v := waitFor(t, dir, "row", 60*time.Second, "the first promotion", phaseOf(v1alpha1.PhasePromoted))
	t.Logf("release 1 promoted in %s", time.Since(start).Round(time.Millisecond))
	if s := v.Version("stable"); s == nil || s.Version != "v2" || s.Weight != 100 {
		t.Fatalf("stable after the promotion: %+v, want v2 with all traffic", s)
	}
	time.Sleep(time.Second) // the runner keeps serving; v1 is retired
	if code := exited(run); code >= 0 {
		t.Fatalf("sluice run exited (%d) after the promotion: it is the data plane", code)
	}
	v1Served := gen.Stats().ByVersion["v1"].OK

	second := writeReleaseOf(t, "row", addr, "v3", `, "--latency=2ms"`, steps)
	out, code := sluice(t, dir, "run", "-f", second)
	if code != 0 || !strings.Contains(out, "applied by the running `sluice run`") {
		t.Fatalf("handing over the next release: %d %s", code, out)
	}
	start = time.Now()
	want := localwl.Revision(v1alpha1.LocalVersion{Version: "v3", Command: []string{sluiceBin, "app", "--version=v3", "--latency=2ms"}})
	v = waitFor(t, dir, "row", 60*time.Second, "the second promotion", func(s *release.View) bool {
		return s.Release.Status.CanaryRevision == want && s.Release.Status.Phase == v1alpha1.PhasePromoted
	})
	t.Logf("release 2 promoted in %s", time.Since(start).Round(time.Millisecond))
	if s := v.Version("stable"); s == nil || s.Version != "v3" {
		t.Fatalf("stable after the second promotion: %+v, want v3", s)
	}
	time.Sleep(500 * time.Millisecond)
	gen.Stop()
	st := gen.Stats()
	t.Logf("load: %d sent, by version %+v", st.Sent, st.ByVersion)
	if st.Errors != 0 || st.Non2xx != 0 || st.OK == 0 {
		t.Fatalf("requests failed through the promotions: %+v", st)
	}
	if got := st.ByVersion["v1"].OK; got != v1Served {
		t.Fatalf("v1 served %d requests after v2 was promoted (had served %d)", got-v1Served, v1Served)
	}
	if st.ByVersion["v2"].OK == 0 || st.ByVersion["v3"].OK == 0 {
		t.Fatalf("a version served nothing: %+v", st.ByVersion)
	}
	var releases []string
	for _, d := range v.Release.Status.History {
		if d.Reason == "NewRevision" || d.Reason == "Promoted" {
			releases = append(releases, d.Reason)
		}
	}
	if strings.Join(releases, ",") != "Promoted,NewRevision,Promoted" && !strings.HasSuffix(strings.Join(releases, ","), "Promoted,NewRevision,Promoted") {
		t.Fatalf("history of the two releases: %v", releases)
	}
}

// exited is the exit code of a process that ended, or -1 while it runs.
func exited(s *started) int {
	select {
	case err := <-s.done:
		s.done <- err
		if s.cmd.ProcessState != nil {
			return s.cmd.ProcessState.ExitCode()
		}
		return 0
	default:
		return -1
	}
}

// TestRetryAfterARollback aborts a release and retries it, once with the
// runner alive and once with it stopped: the retry is queued in the state
// file and the next `sluice run` starts it from step 1.
func TestRetryAfterARollback(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "again", addr, `, "--latency=2ms"`, indent("setWeight: 30", "analysis: {passes: 1}", "pause: {}"))
	run := startServing(t, dir, file)
	gen := appLoad(t, dir, "again", addr)
	waitFor(t, dir, "again", 60*time.Second, "the pause", phaseOf(v1alpha1.PhasePaused))
	if out, code := sluice(t, dir, "abort", "again"); code != 0 {
		t.Fatalf("abort: %s", out)
	}
	waitFor(t, dir, "again", 30*time.Second, "the rollback", phaseOf(v1alpha1.PhaseRolledBack))

	// Retry with the runner alive: from step 1 again, to the pause.
	if out, code := sluice(t, dir, "retry", "again"); code != 0 || !strings.Contains(out, "retry requested") {
		t.Fatalf("retry: %d %s", code, out)
	}
	v := waitFor(t, dir, "again", 60*time.Second, "the retried release's pause", phaseOf(v1alpha1.PhasePaused))
	if v.Release.Status.Analysis.PassedChecks == 0 || !hasDecision(v, "Retried") {
		t.Fatalf("the retry did not start from the first step: %+v", v.Release.Status.History)
	}
	if out, code := sluice(t, dir, "abort", "again"); code != 0 {
		t.Fatalf("abort: %s", out)
	}
	waitFor(t, dir, "again", 30*time.Second, "the second rollback", phaseOf(v1alpha1.PhaseRolledBack))
	// A command the release would take and do nothing with is refused,
	// with the reason, instead of "requested".
	for _, verb := range []string{"promote", "abort"} {
		if out, code := sluice(t, dir, verb, "again"); code != 1 || !strings.Contains(out, "nothing to do: the release is RolledBack") {
			t.Fatalf("%s of a rolled-back release: %d %s", verb, code, out)
		}
	}
	gen.Stop()
	if st := gen.Stats(); st.Errors != 0 || st.Non2xx != 0 {
		t.Fatalf("requests failed: %+v", st)
	}
	if err := run.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The data plane told to stop stops normally, whatever the last
	// release did (a process manager must not see a failure); scripts that
	// want the outcome use --exit-on-done, below.
	if code := run.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("run exited %d, want 0 (a normal stop of the data plane):\n%s", code, run.out)
	}

	// A run of a rolled-back release says what to do and, for scripts,
	// ends at once with its outcome.
	out, code := sluice(t, dir, "run", "--exit-on-done", "-q", "-f", file)
	if code != 2 || !strings.Contains(out, "sluice retry again") {
		t.Fatalf("run of a rolled-back release: %d %s", code, out)
	}

	// Retry with no runner: queued, and the next run starts it.
	out, code = sluice(t, dir, "retry", "again")
	if code != 0 || !strings.Contains(out, "queued") {
		t.Fatalf("retry without a runner: %d %s", code, out)
	}
	next := startRun(t, dir, file)
	appLoad(t, dir, "again", addr)
	waitFor(t, dir, "again", 60*time.Second, "the queued retry's pause", func(s *release.View) bool {
		return s.Live && s.Release.Status.Phase == v1alpha1.PhasePaused
	})
	if out, code := sluice(t, dir, "promote", "again"); code != 0 {
		t.Fatalf("promote: %s", out)
	}
	if code := next.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("the retried run exited %d:\n%s", code, next.out)
	}
}

func hasDecision(v *release.View, reason string) bool {
	for _, d := range v.Release.Status.History {
		if d.Reason == reason {
			return true
		}
	}
	return false
}

// TestStepsEditedWhileWaiting edits a release file to fewer steps while
// the saved release waits at a later manual pause: the restarted runner
// starts the release again from step 1, and never promotes at once.
func TestStepsEditedWhileWaiting(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "edited", addr, `, "--latency=2ms"`, indent("setWeight: 20", "pause: {duration: 500ms}", "setWeight: 40", "pause: {}"))
	run := startServing(t, dir, file)
	appLoad(t, dir, "edited", addr)
	waitFor(t, dir, "edited", 60*time.Second, "the pause at step 4", func(s *release.View) bool {
		return s.Release.Status.Phase == v1alpha1.PhasePaused && s.Release.Status.StepIndex == 3
	})
	if err := run.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	run.wait(t, 10*time.Second)

	shorter := writeRelease(t, "edited", addr, `, "--latency=2ms"`, indent("setWeight: 20", "pause: {}"))
	startServing(t, dir, shorter)
	v := waitFor(t, dir, "edited", 30*time.Second, "the restart", func(s *release.View) bool {
		return s.Live && hasDecision(s, "StepsChanged")
	})
	st := v.Release.Status
	if st.Phase == v1alpha1.PhasePromoting || st.Phase == v1alpha1.PhasePromoted || st.StepIndex > 1 {
		t.Fatalf("after the edit: %s step %d: %s", st.Phase, st.StepIndex, st.Message)
	}
	v = waitFor(t, dir, "edited", 30*time.Second, "the new pause", phaseOf(v1alpha1.PhasePaused))
	if st := v.Release.Status; st.StepIndex != 1 || st.StepCount != 2 {
		t.Fatalf("paused at step %d of %d, want 2 of 2", st.StepIndex+1, st.StepCount)
	}
}

// TestStateThatDoesNotFit: a saved state sluice cannot resume is an error
// that names the problem, never a start from scratch and never a
// promotion.
func TestStateThatDoesNotFit(t *testing.T) {
	tests := map[string]struct {
		edit func(*local.State)
		want string
	}{
		"a negative step":     {edit: func(s *local.State) { s.Release.Status.StepIndex = -2 }, want: "status.stepIndex: -2 is negative"},
		"a step past the end": {edit: func(s *local.State) { s.Release.Status.StepIndex = 9 }, want: "status.stepIndex: 9 is past the last of 2 steps"},
		"an unknown phase":    {edit: func(s *local.State) { s.Release.Status.Phase = "Exploding" }, want: `status.phase: unknown phase "Exploding"`},
		"a newer format":      {edit: func(s *local.State) { s.Version = 99 }, want: "format 99 is newer"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir, addr := t.TempDir(), freeAddr(t)
			file := writeRelease(t, "bad", addr, `, "--latency=2ms"`, indent("setWeight: 20", "pause: {}"))
			run := startRun(t, dir, file)
			waitFor(t, dir, "bad", 30*time.Second, "the pause", phaseOf(v1alpha1.PhasePaused))
			_ = run.cmd.Process.Signal(syscall.SIGTERM)
			run.wait(t, 30*time.Second)

			path := local.StatePath(dir, "bad")
			s, err := local.LoadState(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(s)
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out, code := sluice(t, dir, "run", "--exit-on-done", "-q", "-f", file)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("run: exit %d, want 1 naming %q:\n%s", code, tc.want, out)
			}
			if tc.edit != nil && !strings.Contains(out, "--fresh") && !strings.Contains(out, "format") {
				t.Fatalf("the error does not say how to start over:\n%s", out)
			}
		})
	}
}

// TestAbortDuringASlowWebhook: a rollout webhook that takes 25 s is cut
// short by an abort, which takes effect at once.
func TestAbortDuringASlowWebhook(t *testing.T) {
	var calls atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // so the server sees the caller hang up
		select {
		case <-time.After(25 * time.Second):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(slow.Close)
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "slowhook", addr, `, "--latency=2ms"`, indent("setWeight: 30", "analysis: {passes: 3}"))
	appendSpec(t, file, `  webhooks:
    - {name: load, type: rollout, url: "`+slow.URL+`", timeout: 30s}
`)
	run := startRun(t, dir, file)
	appLoad(t, dir, "slowhook", addr)
	deadline := time.Now().Add(30 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if calls.Load() == 0 {
		t.Fatal("the rollout webhook was never called")
	}
	time.Sleep(500 * time.Millisecond) // the tick waits on the hook now
	start := time.Now()
	if out, code := sluice(t, dir, "abort", "slowhook"); code != 0 {
		t.Fatalf("abort: %s", out)
	}
	if code := run.wait(t, 20*time.Second); code != 2 {
		t.Fatalf("run exited %d, want 2:\n%s", code, run.out)
	}
	took := time.Since(start)
	t.Logf("abort during a 25 s webhook: rolled back and exited in %s", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Fatalf("the abort waited for the webhook: %s", took)
	}
	if st := getJSON(t, dir, "slowhook").Release.Status; st.Phase != v1alpha1.PhaseRolledBack || !strings.Contains(st.Message, "aborted") {
		t.Fatalf("after the abort: %s %s", st.Phase, st.Message)
	}
}
