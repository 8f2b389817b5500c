package release

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// TestLifecycle drives random sequences of releases through the one tick
// with a simulated world: new revisions (some faulty), reverts, promote,
// abort, retry, pause and resume, spec edits, metric outages in any step,
// shells that die between acting and saving, aborts arriving during slow
// hooks and saved states that do not fit. At every tick it checks the
// rules of the house: weights within 0..100 at every write, traffic never
// on a revision older than the last promoted one, a canary never above
// its step's weight, held data never passing a gate (pauses included),
// an abort taking effect at the next tick, a state that does not fit
// stalling instead of promoting, and no command applied twice.
//
// SLUICE_LIFECYCLE_SEQUENCES sets the number of sequences (default 1500,
// 400 under the race detector).
func TestLifecycle(t *testing.T) {
	sequences := 1500
	if raceEnabled {
		sequences = 400
	}
	if n, err := strconv.Atoi(os.Getenv("SLUICE_LIFECYCLE_SEQUENCES")); err == nil && n > 0 {
		sequences = n
	}
	start := time.Now()
	var ticks, releases, promoted, rolledBack, stalls, interrupts int
	for seed := range uint64(sequences) {
		s := runSequence(t, seed)
		ticks += s.ticks
		releases += s.releases
		promoted += s.promoted
		rolledBack += s.rolledBack
		stalls += s.stalls
		interrupts += s.interrupts
		if t.Failed() {
			return
		}
	}
	t.Logf("%d sequences, %d ticks, %d releases started (%d promoted, %d rolled back), %d stalls on a bad state, %d hooks cut short by an abort, in %s",
		sequences, ticks, releases, promoted, rolledBack, stalls, interrupts, time.Since(start).Round(time.Millisecond))
	if promoted == 0 || rolledBack == 0 || stalls == 0 || interrupts == 0 {
		t.Fatalf("the sequences did not reach every case: %d promoted, %d rolled back, %d stalls, %d interrupts", promoted, rolledBack, stalls, interrupts)
	}
}

// sequenceStats count what one sequence went through.
type sequenceStats struct {
	ticks, releases, promoted, rolledBack, stalls, interrupts int
}

const ticksPerSequence = 160

func runSequence(t *testing.T, seed uint64) sequenceStats {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	w := newWorld(rnd)
	spec := randomSpec(rnd)
	loop := &Loop{
		Build: func(*v1alpha1.Release) (Parts, error) {
			return Parts{Workload: w, Router: w, Metrics: func(Versions) (Metrics, error) { return w, nil }, Hooks: w}, nil
		},
		Store:      w,
		Interrupts: &Interrupts{},
	}
	w.interrupts, w.key = loop.Interrupts, Key("shop", "api")
	var (
		queue   []engine.Command
		cmdSeq  int
		stats   sequenceStats
		applied = map[string]int{}
		gen     = int64(1)
	)
	command := func(kind engine.CommandKind) {
		cmdSeq++
		queue = append(queue, engine.Command{ID: fmt.Sprintf("%s-%d", kind, cmdSeq), Kind: kind})
	}
	w.onAbort = func() { command(engine.CommandAbort) }
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d tick %d: "+format, append([]any{seed, stats.ticks}, args...)...)
	}

	for range ticksPerSequence {
		stats.ticks++
		w.now = w.now.Add(time.Duration(100+rnd.IntN(3000)) * time.Millisecond)
		corrupted := w.happen(rnd, &spec, &gen, command)
		rel := &v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", Generation: gen}, Spec: *spec.DeepCopy(), Status: *w.saved.DeepCopy()}
		prev, before := w.saved, w.weight
		var cmd *engine.Command
		if len(queue) > 0 {
			c := queue[0]
			cmd = &c
		}
		out, err := loop.Tick(context.Background(), rel, Input{Now: w.now, Command: cmd})
		var se *StalledError
		switch {
		case corrupted != nil:
			if !errors.As(err, &se) || se.Reason != StallStatusMismatch {
				fail("a status that does not fit (%s) gave %v, want a stall", corrupted.why, err)
			}
			if w.weight != before || w.saved.Phase == v1alpha1.PhasePromoted && prev.Phase != v1alpha1.PhasePromoted {
				fail("a stalled tick acted: weight %d→%d, phase %s", before, w.weight, w.saved.Phase)
			}
			stats.stalls++
			w.saved = corrupted.good // a person fixes it
			continue
		case errors.Is(err, ErrInterrupted):
			if !w.hookCut {
				fail("interrupted, but no hook was cut short")
			}
			w.hookCut = false
			stats.interrupts++
			// The shell ticks again at once: the abort applies now.
			prev, rel.Status = w.saved, *w.saved.DeepCopy()
			c := queue[0]
			out, err = loop.Tick(context.Background(), rel, Input{Now: w.now, Command: &c})
			if err != nil {
				continue // the shell died: the abort applies at the next tick
			}
			cmd = &c
		case err != nil:
			continue // the shell died before saving: the next tick decides again
		}
		if len(w.violations) > 0 {
			fail("%v (phase %s→%s)", w.violations, prev.Phase, out.Status.Phase)
		}
		if cmd != nil {
			queue = queue[1:]
		}
		if msg := checkTick(out, prev, before, cmd, w, applied); msg != "" {
			fail("%s (phase %s→%s step %d→%d: %s)", msg, prev.Phase, out.Status.Phase, prev.StepIndex, out.Status.StepIndex, out.Status.Message)
		}
		for _, ev := range out.Events {
			switch ev.Reason {
			case engine.ReasonNewRevision, engine.ReasonRetried, engine.ReasonStepsChanged, engine.ReasonInitialized:
				if ev.To == v1alpha1.PhaseProgressing {
					stats.releases++
				}
			case engine.ReasonPromoted:
				stats.promoted++
			case engine.ReasonRolledBack:
				stats.rolledBack++
			}
		}
	}
	return stats
}

// corruption is a saved status broken on purpose, with the good one.
type corruption struct {
	why  string
	good v1alpha1.ReleaseStatus
}

// happen makes the world's random events of one tick, and reports a
// corruption of the saved status when it made one.
func (w *world) happen(rnd *rand.Rand, spec *v1alpha1.ReleaseSpec, gen *int64, command func(engine.CommandKind)) *corruption {
	switch r := rnd.IntN(1000); {
	case r < 30: // a new image, sometimes a faulty one
		w.desired = w.newRev()
		w.bad[w.desired] = rnd.IntN(3) == 0
	case r < 40: // reverted to what stable runs
		w.desired = w.stableRev
	case r < 85:
		kinds := []engine.CommandKind{engine.CommandPromote, engine.CommandPromoteFull, engine.CommandAbort, engine.CommandRetry, engine.CommandRetry}
		command(kinds[rnd.IntN(len(kinds))])
	case r < 105:
		spec.Paused = !spec.Paused
		*gen++
	case r < 115: // the steps edited
		spec.Strategy.Steps = randomSteps(rnd)
		*gen++
	case r < 150:
		w.outage = !w.outage
	case r < 170:
		w.failSave = true
	case r < 185:
		w.abortInHook = w.saved.Phase == v1alpha1.PhaseProgressing || w.saved.Phase == v1alpha1.PhasePaused
	case r < 190:
		if w.saved.Phase == "" {
			return nil
		}
		c := &corruption{good: *w.saved.DeepCopy()}
		switch rnd.IntN(3) {
		case 0:
			c.why = "a step past the end of its steps"
			w.saved.StepIndex, w.saved.StepsHash = int32(len(engine.NewPlan(*spec).Steps)+1+rnd.IntN(5)), engine.NewPlan(*spec).StepsHash
		case 1:
			c.why = "a negative step"
			w.saved.StepIndex = -1 - int32(rnd.IntN(3))
		default:
			c.why = "an unknown phase"
			w.saved.Phase = "Exploding"
		}
		return c
	}
	return nil
}

// checkTick checks what one tick decided against the rules; "" when they
// hold.
func checkTick(out *Outcome, prev v1alpha1.ReleaseStatus, routed int32, cmd *engine.Command, w *world, applied map[string]int) string {
	st, plan := out.Status, out.Plan
	if w.weight != st.CanaryWeight {
		return fmt.Sprintf("the router holds %d, the status says %d", w.weight, st.CanaryWeight)
	}
	if st.StepIndex < 0 || int(st.StepIndex) > len(plan.Steps) {
		return fmt.Sprintf("step index %d out of 0..%d", st.StepIndex, len(plan.Steps))
	}
	active := st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused
	if active && len(plan.Steps) > 0 {
		var reached int32 // the highest weight of the steps reached so far
		for j := 0; j <= min(int(st.StepIndex), len(plan.Steps)-1); j++ {
			reached = max(reached, plan.WeightAt(j))
		}
		if st.CanaryWeight > reached {
			return fmt.Sprintf("the canary has %d%%, above the %d%% of the steps it reached", st.CanaryWeight, reached)
		}
	}
	// (A shell that died before saving may have routed more than its saved
	// status says: the weight routed before the tick counts too.)
	if st.Phase == v1alpha1.PhasePromoting && st.CanaryWeight > max(prev.CanaryWeight, routed) {
		return fmt.Sprintf("the canary's weight rose from %d%% to %d%% while it was promoted", max(prev.CanaryWeight, routed), st.CanaryWeight)
	}
	fresh := cmd != nil && cmd.ID != prev.LastCommand
	if fresh {
		applied[cmd.ID]++
		if applied[cmd.ID] > 1 {
			return "command " + cmd.ID + " applied twice"
		}
	}
	byHand := fresh && (cmd.Kind == engine.CommandPromote || cmd.Kind == engine.CommandPromoteFull)
	wasActive := prev.Phase == v1alpha1.PhaseProgressing || prev.Phase == v1alpha1.PhasePaused
	if fresh && cmd.Kind == engine.CommandAbort && (wasActive || prev.Phase == v1alpha1.PhasePromoting) && !hasReason(out.Events, engine.ReasonAborted) {
		// (A new revision seen in the same tick then starts the next
		// release: the abort was for the canary it replaced. Once stable
		// runs the canary's revision in a promotion, no older version is
		// left to go back to: the abort is refused, saying so.)
		refused := prev.Phase == v1alpha1.PhasePromoting && out.Versions.StableRevision == prev.CanaryRevision && hasReason(out.Events, engine.ReasonAbortRefused)
		if !refused {
			return "an abort did not take effect at the next tick"
		}
	}
	sameRelease := prev.StartedAt.Equal(st.StartedAt) && prev.CanaryRevision == st.CanaryRevision
	held := st.Analysis.NoDataSince != nil
	if sameRelease && wasActive && !byHand && st.StepIndex > prev.StepIndex && int(prev.StepIndex) < len(plan.Steps) && held {
		if k := plan.Steps[prev.StepIndex].Kind; k == engine.StepPause || k == engine.StepAnalysis {
			return fmt.Sprintf("a %s step was passed while the checks were held", k)
		}
	}
	if st.Phase == v1alpha1.PhasePromoting && prev.Phase != v1alpha1.PhasePromoting && !byHand && plan.HasChecks {
		if held || st.Analysis.PassedChecks == 0 {
			return fmt.Sprintf("promotion began with held checks or none passed: %+v", st.Analysis)
		}
	}
	if st.Phase == v1alpha1.PhasePromoted && prev.Phase != v1alpha1.PhasePromoted && (st.StableRevision != st.CanaryRevision || w.stableRev != st.CanaryRevision) {
		return fmt.Sprintf("promoted %s while stable runs %s", st.CanaryRevision, w.stableRev)
	}
	return ""
}

// randomSpec is a valid release of two Deployments behind Istio, with
// random steps, analysis and gates.
func randomSpec(rnd *rand.Rand) v1alpha1.ReleaseSpec {
	minRate := 99.0
	spec := v1alpha1.ReleaseSpec{
		Workload: v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-stable", Canary: "api-canary"}},
		Traffic: v1alpha1.TrafficSpec{Istio: &v1alpha1.IstioTraffic{
			VirtualService: "api", Stable: v1alpha1.IstioDestination{Host: "api-stable"}, Canary: v1alpha1.IstioDestination{Host: "api-canary"},
		}},
		Strategy: v1alpha1.Strategy{Steps: randomSteps(rnd)},
		Analysis: v1alpha1.Analysis{
			Interval:      &metav1.Duration{Duration: time.Duration(1+rnd.IntN(8)) * time.Second},
			Threshold:     int32(1 + rnd.IntN(4)),
			NoDataTimeout: &metav1.Duration{Duration: time.Duration(5+rnd.IntN(40)) * time.Second},
			Metrics:       []v1alpha1.MetricCheck{{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: &minRate}}},
		},
	}
	if rnd.IntN(3) == 0 {
		spec.Analysis.Judge = &v1alpha1.JudgeSpec{Alpha: 0.05, MinRequests: 200, EarlyPass: rnd.IntN(2) == 0}
	}
	if rnd.IntN(4) == 0 {
		spec.Webhooks = []v1alpha1.Webhook{{Name: "gate", Type: v1alpha1.WebhookConfirmPromotion, URL: "http://127.0.0.1:9/"}}
	}
	if rnd.IntN(4) == 0 {
		spec.Traffic.Match = []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: "1"}}}}
	}
	return spec
}

// randomSteps are 1 to 6 steps that begin with a weight.
func randomSteps(rnd *rand.Rand) []v1alpha1.Step {
	w := int32(1 + rnd.IntN(30))
	steps := []v1alpha1.Step{{SetWeight: &w}}
	for range rnd.IntN(6) {
		switch rnd.IntN(3) {
		case 0:
			next := int32(1 + rnd.IntN(100))
			steps = append(steps, v1alpha1.Step{SetWeight: &next})
		case 1:
			var d *metav1.Duration
			if rnd.IntN(4) > 0 {
				d = &metav1.Duration{Duration: time.Duration(1+rnd.IntN(20)) * time.Second}
			}
			steps = append(steps, v1alpha1.Step{Pause: &v1alpha1.PauseStep{Duration: d}})
		default:
			steps = append(steps, v1alpha1.Step{Analysis: &v1alpha1.AnalysisStep{Passes: int32(1 + rnd.IntN(3))}})
		}
	}
	return steps
}

func hasReason(events []engine.Event, r engine.Reason) bool {
	for _, ev := range events {
		if ev.Reason == r {
			return true
		}
	}
	return false
}
