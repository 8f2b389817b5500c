package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/release"
)

// faulty is the scenario both the real run and the simulator are given: the
// canary fails more requests than stable, at one constant weight, with the
// judge alone deciding.
type faulty struct {
	// Rate is what the load generator is asked to send, in requests per
	// second; the simulator gets the rate measured at the proxy instead.
	Rate float64
	// Weight is the canary's constant share of traffic, in percent.
	Weight int32
	// StableErrors and CanaryErrors are the sample app's --error-rate.
	StableErrors, CanaryErrors float64
	// Latency and Jitter are the sample app's --latency and --jitter, the
	// same for both versions.
	Latency, Jitter time.Duration
	// Lead is the pause before the weight is set, so the load is steady
	// and the judge primed when the canary gets its first request.
	Lead time.Duration
	// Tick is the runner's tick: how often the judge is fed.
	Tick time.Duration
}

// release is the scenario as a local release of the sample app: a pause at
// weight 0, one setWeight, then a pause far longer than any run, so that the
// split stays constant until the judge fails the canary.
func (f faulty) release(name string) *v1alpha1.Release {
	app := func(version string, errorRate float64) []string {
		return []string{appBin, "--version=" + version, fmt.Sprintf("--error-rate=%g", errorRate),
			"--latency=" + f.Latency.String(), "--jitter=" + f.Jitter.String()}
	}
	weight := f.Weight
	rel := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ReleaseSpec{
			Workload: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{
				Stable: v1alpha1.LocalVersion{Version: "v1", Command: app("v1", f.StableErrors)},
				Canary: v1alpha1.LocalVersion{Version: "v2", Command: app("v2", f.CanaryErrors)},
			}},
			Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:0"}},
			Strategy: v1alpha1.Strategy{Steps: []v1alpha1.Step{
				{Pause: &v1alpha1.PauseStep{Duration: &metav1.Duration{Duration: f.Lead}}},
				{SetWeight: &weight},
				{Pause: &v1alpha1.PauseStep{Duration: &metav1.Duration{Duration: time.Hour}}},
			}},
			Analysis: v1alpha1.Analysis{Judge: &v1alpha1.JudgeSpec{}},
		},
	}
	rel.Default()
	return rel
}

// judgeConfig is the judge's configuration as the local shell builds it
// from spec.analysis.judge (internal/local/judge.go).
func judgeConfig(spec *v1alpha1.JudgeSpec) analysis.JudgeConfig {
	return analysis.JudgeConfigFor(spec, proxy.LatencyBounds)
}

// realRun is what one release through the real shell measured.
type realRun struct {
	// ToFail and ToRolledBack run from the tick that gave the canary its
	// weight to the tick the judge's Fail was acted on, and to the tick
	// the release was RolledBack.
	ToFail, ToRolledBack time.Duration
	// RolledBack is false when the run hit its time limit first.
	RolledBack bool
	// RPS is the request rate through the proxy, both versions, and
	// CanaryShare the canary's part of it, from the weight to the Fail.
	RPS, CanaryShare float64
	// Failed is the evidence of the test that failed the canary.
	Failed analysis.Evidence
	// Ticks counts the runner's ticks from the weight to the Fail.
	Ticks int
	Load  loadgen.Stats
	// Final is the judge's verdict at the end of a run that was not rolled
	// back, from its last saved state.
	Final analysis.JudgeVerdict
}

// mark is the moment of one tick, with the proxy's counters.
type mark struct {
	at             time.Time
	stable, canary uint64
	ok             bool
}

func markOf(s *release.View) mark {
	m := mark{at: s.UpdatedAt, ok: true}
	for _, v := range s.Versions {
		switch v.Name {
		case "stable":
			m.stable = v.Requests
		case "canary":
			m.canary = v.Requests
		}
	}
	return m
}

// runOnce runs the scenario once through local.Runner with load from
// loadgen, within limit, and measures it.
func runOnce(t *testing.T, f faulty, name string, limit time.Duration) realRun {
	t.Helper()
	rel := f.release(name)
	if errs := rel.Validate(); len(errs) > 0 {
		t.Fatalf("release: %v", errs.ToAggregate())
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	var (
		mu                       sync.Mutex
		weighted, failed, rolled mark
		failSnap                 *release.View
		ticks                    int
		latest                   *release.View
		gen                      *loadgen.Generator
	)
	opts := local.Options{StateDir: t.TempDir(), Tick: f.Tick, ExitOnDone: true}
	opts.OnUpdate = func(s *release.View) {
		mu.Lock()
		defer mu.Unlock()
		latest = s
		st := s.Release.Status
		switch {
		case !weighted.ok && st.CanaryWeight > 0:
			weighted = markOf(s)
		case weighted.ok && !failed.ok && st.Phase == v1alpha1.PhaseRollingBack:
			failed, failSnap = markOf(s), s
		case weighted.ok && st.Phase == v1alpha1.PhaseRolledBack && !rolled.ok:
			rolled = markOf(s)
		}
		if weighted.ok && !failed.ok {
			ticks++
		}
		if gen != nil && st.Phase.Terminal() {
			gen.Stop() // before the runner closes its proxy
		}
	}
	r, err := local.New(rel, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	// The load starts as soon as the proxy listens, well before the lead
	// pause ends and the canary gets its weight.
	var g *loadgen.Generator
	for g == nil {
		select {
		case err := <-done:
			t.Fatalf("%s: runner ended before its proxy listened: %v", name, err)
		case <-time.After(10 * time.Millisecond):
		}
		mu.Lock()
		s := latest
		mu.Unlock()
		if s == nil || s.ProxyAddress == "" {
			continue
		}
		g, err = loadgen.New(loadgen.Config{Target: s.ProxyAddress + "/", Rate: f.Rate, Duration: limit, Concurrency: 32})
		if err == nil {
			err = g.Start(ctx)
		}
		if err != nil {
			t.Fatalf("%s: load: %v", name, err)
		}
		mu.Lock()
		gen = g
		mu.Unlock()
	}
	runErr := <-done
	g.Stop()

	mu.Lock()
	defer mu.Unlock()
	if !weighted.ok {
		t.Fatalf("%s: the canary never got its weight: %v", name, runErr)
	}
	res := realRun{Load: g.Stats(), Ticks: ticks}
	if !errors.Is(runErr, local.ErrRolledBack) {
		// The time limit passed first: the run counts there, censored.
		if !errors.Is(runErr, context.DeadlineExceeded) {
			t.Fatalf("%s: run: %v", name, runErr)
		}
		last := markOf(latest)
		res.ToFail, res.ToRolledBack = last.at.Sub(weighted.at), last.at.Sub(weighted.at)
		res.RPS, res.CanaryShare = rates(weighted, last)
		if js := latest.Release.Status.Analysis.Judge; js != nil && js.State != "" {
			var j analysis.Judge
			if err := json.Unmarshal([]byte(js.State), &j); err != nil {
				t.Fatalf("%s: judge state: %v", name, err)
			}
			res.Final = j.Verdict()
		}
		return res
	}
	if !failed.ok || !rolled.ok {
		t.Fatalf("%s: rolled back without a RollingBack tick after the weight (failed %v, rolled %v)", name, failed.ok, rolled.ok)
	}
	if msg := latest.Release.Status.Message; !strings.Contains(msg, "statistical judge failed the canary") {
		t.Fatalf("%s: rolled back, but not by the judge: %s", name, msg)
	}
	res.RolledBack = true
	res.ToFail, res.ToRolledBack = failed.at.Sub(weighted.at), rolled.at.Sub(weighted.at)
	res.RPS, res.CanaryShare = rates(weighted, failed)
	ev, err := failingEvidence(failSnap)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	res.Failed = ev
	return res
}

// rates are the request rate and the canary's share between two ticks.
func rates(from, to mark) (rps, canaryShare float64) {
	total := float64(to.stable + to.canary - from.stable - from.canary)
	if secs := to.at.Sub(from.at).Seconds(); secs > 0 {
		rps = total / secs
	}
	if total > 0 {
		canaryShare = float64(to.canary-from.canary) / total
	}
	return rps, canaryShare
}

// failingEvidence reads the judge's saved state at the Fail and returns the
// test that failed the canary.
func failingEvidence(s *release.View) (analysis.Evidence, error) {
	js := s.Release.Status.Analysis.Judge
	if js == nil || js.State == "" {
		return analysis.Evidence{}, errors.New("no judge state at the Fail")
	}
	var j analysis.Judge
	if err := json.Unmarshal([]byte(js.State), &j); err != nil {
		return analysis.Evidence{}, fmt.Errorf("judge state: %w", err)
	}
	v := j.Verdict()
	if v.Decision != analysis.JudgeFail {
		return analysis.Evidence{}, fmt.Errorf("judge state at the Fail says %s", v.Decision)
	}
	for _, e := range v.Evidence {
		if e.LogE >= math.Log(e.FailAt) {
			return e, nil
		}
	}
	return analysis.Evidence{}, fmt.Errorf("no test past its bound in %+v", v.Evidence)
}
