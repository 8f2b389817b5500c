package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

// appBin is the sample app, built once for all tests: real processes.
var appBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-local-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-o", appBin, "sluice.dev/sluice/examples/app")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the sample app:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func d(s string) *metav1.Duration {
	v, _ := time.ParseDuration(s)
	return &metav1.Duration{Duration: v}
}
func i32(n int32) *int32     { return &n }
func f64(v float64) *float64 { return &v }

// release is a fast release of the sample app: checks every 500ms.
func testRelease(name string, canaryArgs ...string) *v1alpha1.Release {
	rel := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ReleaseSpec{
			Workload: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{
				Stable: v1alpha1.LocalVersion{Version: "v1", Command: []string{appBin, "--version=v1", "--latency=2ms"}},
				Canary: v1alpha1.LocalVersion{Version: "v2", Command: append([]string{appBin, "--version=v2"}, canaryArgs...)},
			}},
			Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:0"}},
			Strategy: v1alpha1.Strategy{Steps: []v1alpha1.Step{
				{SetWeight: i32(20)},
				{Analysis: &v1alpha1.AnalysisStep{Passes: 2}},
				{SetWeight: i32(50)},
				{Pause: &v1alpha1.PauseStep{Duration: d("500ms")}},
				{SetWeight: i32(80)},
				{Analysis: &v1alpha1.AnalysisStep{Passes: 1}},
			}},
			Analysis: v1alpha1.Analysis{
				Interval: d("500ms"), Threshold: 2,
				Metrics: []v1alpha1.MetricCheck{
					{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: f64(99)}, Window: d("1s")},
					// A 2 ms canary's p99 over a 1 s window reached 132 ms
					// in a loaded race-enabled run; 500 ms leaves room for
					// that, and the faulty canary fails on its errors.
					{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: f64(500)}, Window: d("1s")},
				},
			},
		},
	}
	rel.Default()
	return rel
}

// runWithLoad runs a release while sending load through its proxy and
// returns the runner's error, its last snapshot and what the load saw.
func runWithLoad(t *testing.T, rel *v1alpha1.Release, opts local.Options) (*release.View, loadgen.Stats, error) {
	t.Helper()
	return runWithLoadAt(t, rel, opts, 200, time.Minute)
}

// runWithLoadAt is runWithLoad at a given rate and time limit.
func runWithLoadAt(t *testing.T, rel *v1alpha1.Release, opts local.Options, rate float64, limit time.Duration) (*release.View, loadgen.Stats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var (
		snap atomic.Pointer[release.View]
		load atomic.Pointer[loadgen.Generator]
	)
	opts.ExitOnDone = true
	also := opts.OnUpdate
	opts.OnUpdate = func(s *release.View) {
		if also != nil {
			also(s)
		}
		snap.Store(s)
		if g := load.Load(); g != nil && s.Release.Status.Phase.Terminal() {
			g.Stop() // before the runner closes its proxy
		}
	}
	r, err := local.New(rel, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var gen *loadgen.Generator
	for gen == nil {
		select {
		case err := <-done:
			t.Fatalf("runner ended before its proxy listened: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if s := snap.Load(); s != nil && s.ProxyAddress != "" {
			gen, err = loadgen.New(loadgen.Config{Target: s.ProxyAddress + "/", Rate: rate, Duration: limit, Concurrency: 32})
			if err == nil {
				err = gen.Start(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			load.Store(gen)
		}
	}
	runErr := <-done
	gen.Stop()
	return r.View(), gen.Stats(), runErr
}

func TestHealthyCanaryIsPromoted(t *testing.T) {
	rel := testRelease("healthy", "--latency=2ms")
	snap, load, err := runWithLoad(t, rel, local.Options{StateDir: t.TempDir(), Tick: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if v := snap.Version("stable"); v == nil || v.Version != "v2" || v.Weight != 100 {
		t.Fatalf("stable after the promotion: %+v, want v2 serving 100%%", v)
	}
	st := snap.Release.Status
	if st.Phase != v1alpha1.PhasePromoted || st.CanaryWeight != 0 || st.StableRevision != st.CanaryRevision {
		t.Fatalf("phase %s weight %d: %s", st.Phase, st.CanaryWeight, st.Message)
	}
	if load.Errors != 0 || load.Non2xx != 0 || load.Sent == 0 {
		t.Fatalf("requests failed during weight changes: %+v", load)
	}
	if st.Analysis.PassedChecks < 3 || st.Analysis.FailedChecks != 0 {
		t.Fatalf("checks: %+v", st.Analysis)
	}
}

func TestFaultyCanaryIsRolledBack(t *testing.T) {
	rel := testRelease("faulty", "--error-rate=0.2", "--latency=150ms")
	snap, load, err := runWithLoad(t, rel, local.Options{StateDir: t.TempDir(), Tick: 50 * time.Millisecond})
	if !errors.Is(err, local.ErrRolledBack) {
		t.Fatalf("run: %v, want ErrRolledBack", err)
	}
	st := snap.Release.Status
	if st.Phase != v1alpha1.PhaseRolledBack || st.CanaryWeight != 0 {
		t.Fatalf("phase %s weight %d", st.Phase, st.CanaryWeight)
	}
	if st.Analysis.FailedChecks < 2 {
		t.Fatalf("rolled back with %d failed checks", st.Analysis.FailedChecks)
	}
	if load.Errors != 0 {
		t.Fatalf("transport errors: %+v", load)
	}
	for _, v := range snap.Versions {
		if v.Name == "canary" && v.Weight != 0 {
			t.Fatalf("canary still has weight %d", v.Weight)
		}
	}
}

// judged turns a test release into a judge-only one: no threshold metrics,
// so its analysis steps become short pauses, and the judge holds the
// promotion until it passes the canary.
func judged(rel *v1alpha1.Release) *v1alpha1.Release {
	rel.Spec.Analysis.Metrics = nil
	rel.Spec.Analysis.Judge = &v1alpha1.JudgeSpec{MinRequests: 100}
	for i, st := range rel.Spec.Strategy.Steps {
		if st.Analysis != nil {
			rel.Spec.Strategy.Steps[i] = v1alpha1.Step{Pause: &v1alpha1.PauseStep{Duration: d("500ms")}}
		}
	}
	return rel
}

func TestJudgeRollsBackAFaultyCanary(t *testing.T) {
	rel := judged(testRelease("judged-faulty", "--error-rate=0.3", "--latency=2ms"))
	snap, _, err := runWithLoad(t, rel, local.Options{StateDir: t.TempDir(), Tick: 50 * time.Millisecond})
	if !errors.Is(err, local.ErrRolledBack) {
		t.Fatalf("run: %v, want ErrRolledBack", err)
	}
	st := snap.Release.Status
	if st.Phase != v1alpha1.PhaseRolledBack || !strings.Contains(st.Message, "statistical judge failed the canary") {
		t.Fatalf("phase %s: %s", st.Phase, st.Message)
	}
	if snap.Judge == nil || snap.Judge.Decision != "Fail" {
		t.Fatalf("judge view: %+v", snap.Judge)
	}
}

func TestJudgePromotesAHealthyCanary(t *testing.T) {
	rel := judged(testRelease("judged-healthy", "--latency=2ms"))
	// A pass needs evidence on the latency tail too: a few thousand requests.
	snap, load, err := runWithLoadAt(t, rel, local.Options{StateDir: t.TempDir(), Tick: 50 * time.Millisecond}, 400, 3*time.Minute)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if st := snap.Release.Status; st.Phase != v1alpha1.PhasePromoted {
		t.Fatalf("phase %s: %s", st.Phase, st.Message)
	}
	if snap.Judge == nil || snap.Judge.Decision != "Pass" {
		t.Fatalf("judge view: %+v", snap.Judge)
	}
	if load.Errors != 0 || load.Non2xx != 0 {
		t.Fatalf("requests failed: %+v", load)
	}
}

// TestKilledCanaryIsEjectedAndRolledBack kills the canary process under
// load: the proxy ejects it, retries the failed GETs on stable, and the
// ejection or the death (once, whichever is seen first) counts as a failed
// check, which rolls the release back.
func TestKilledCanaryIsEjectedAndRolledBack(t *testing.T) {
	rel := testRelease("ejected", "--latency=2ms")
	rel.Spec.Strategy.Steps = []v1alpha1.Step{{SetWeight: i32(50)}, {Pause: &v1alpha1.PauseStep{}}}
	rel.Spec.Analysis.Threshold = 1
	var killed atomic.Bool
	opts := local.Options{StateDir: t.TempDir(), Tick: 50 * time.Millisecond}
	done := make(chan struct{})
	var canaryPID atomic.Int64
	opts.OnUpdate = func(v *release.View) {
		if c := v.Version("canary"); c != nil && c.PID > 0 && v.Release.Status.Phase == v1alpha1.PhasePaused {
			canaryPID.Store(int64(c.PID))
		}
	}
	go func() {
		defer close(done)
		// Kill the canary once the release waits at its pause.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) && !killed.Load() {
			time.Sleep(50 * time.Millisecond)
			if pid := canaryPID.Load(); pid > 0 {
				_ = syscall.Kill(int(pid), syscall.SIGKILL)
				killed.Store(true)
			}
		}
	}()
	snap, load, err := runWithLoad(t, rel, opts)
	<-done
	if !killed.Load() {
		t.Fatal("the canary was never killed")
	}
	if !errors.Is(err, local.ErrRolledBack) {
		t.Fatalf("run: %v, want ErrRolledBack", err)
	}
	st := snap.Release.Status
	// Whichever the runner saw first: the proxy ejecting it, or its
	// process gone.
	if !strings.Contains(st.Message, "canary ejected by the proxy") && !strings.Contains(st.Message, "the canary's process exited (signal: killed)") {
		t.Fatalf("rolled back for another reason: %s", st.Message)
	}
	for _, v := range snap.Versions {
		if v.Name == "canary" && v.Ejections == 0 && strings.Contains(st.Message, "ejected") {
			t.Fatalf("canary view shows no ejection: %+v", v)
		}
	}
	if load.Errors != 0 || load.Non2xx != 0 {
		t.Fatalf("GETs failed although the proxy retries them on stable: %+v", load)
	}
}
