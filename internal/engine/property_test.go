package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// world is a random but plausible environment for the engine: a router that
// follows the desired weight with some lag, random check results, random
// commands and revision changes.
type world struct {
	rnd     *rand.Rand
	router  int32
	canary  string
	cmdSeq  int
	paused  bool
	now     time.Time
	lastCmd *Command
}

func randomPlan(rnd *rand.Rand) Plan {
	p := Plan{
		Interval: time.Duration(1+rnd.IntN(20)) * time.Second, Threshold: int32(1 + rnd.IntN(5)),
		NoDataTimeout: time.Duration(1+rnd.IntN(60)) * time.Second, HasChecks: rnd.IntN(4) > 0,
		HasMatch: rnd.IntN(4) == 0, JudgeGate: rnd.IntN(3) == 0, ConfirmGate: rnd.IntN(4) == 0,
	}
	for range 1 + rnd.IntN(8) {
		switch rnd.IntN(3) {
		case 0:
			p.Steps = append(p.Steps, PlanStep{Kind: StepSetWeight, Weight: int32(rnd.IntN(101))})
		case 1:
			p.Steps = append(p.Steps, PlanStep{Kind: StepPause, Duration: time.Duration(rnd.IntN(3)) * 7 * time.Second})
		default:
			p.Steps = append(p.Steps, PlanStep{Kind: StepAnalysis, Passes: int32(1 + rnd.IntN(3))})
		}
	}
	return p
}

func (wd *world) observe(plan Plan, st v1alpha1.ReleaseStatus) Observation {
	r := wd.rnd
	wd.now = wd.now.Add(time.Duration(1+r.IntN(5000)) * time.Millisecond)
	stableRev := "s"
	if st.Phase == v1alpha1.PhasePromoting && r.IntN(3) == 0 {
		stableRev = st.CanaryRevision // the driver copied the canary to stable
	}
	if r.IntN(200) == 0 {
		wd.canary = fmt.Sprintf("c%d", r.IntN(3)) // a new revision, or back to an old one
	}
	if r.IntN(300) == 0 {
		wd.canary = "s" // a revert
	}
	if r.IntN(50) == 0 {
		wd.paused = !wd.paused
	}
	router := wd.router
	o := Observation{
		Now: wd.now, StableRevision: stableRev, CanaryRevision: wd.canary,
		StableReady: r.IntN(20) > 0, CanaryReady: r.IntN(10) > 0, RouterWeight: &router, Paused: wd.paused,
	}
	if r.IntN(10) == 0 {
		o.RouterWeight = nil
	}
	if CheckDue(plan, st, wd.now) {
		o.Check = []*CheckResult{pass(), pass(), fail(), noData()}[r.IntN(4)]
	}
	o.PromotionConfirmed = r.IntN(2) == 0
	if r.IntN(10) == 0 {
		o.Judge = &JudgeResult{Decision: []JudgeDecision{JudgeContinue, JudgePass, JudgeFail}[r.IntN(3)], AllowEarlyPass: r.IntN(2) == 0}
	}
	if r.IntN(15) == 0 {
		wd.cmdSeq++
		kinds := []CommandKind{CommandPromote, CommandPromoteFull, CommandAbort, CommandRetry}
		wd.lastCmd = &Command{ID: fmt.Sprint(wd.cmdSeq), Kind: kinds[r.IntN(len(kinds))]}
	}
	o.Command = wd.lastCmd // shown again on later ticks, as a shell would
	return o
}

// TestInvariants drives the engine through random worlds and checks what
// must hold whatever happens.
func TestInvariants(t *testing.T) {
	const seeds, ticks = 400, 400
	for seed := range uint64(seeds) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		plan := withHash(randomPlan(rnd))
		wd := &world{rnd: rnd, canary: "c0", now: t0}
		var st v1alpha1.ReleaseStatus
		for i := range ticks {
			o := wd.observe(plan, st)
			prev := st
			res := step(t, plan, st, o)
			st = res.Status
			where := fmt.Sprintf("seed %d tick %d (%s→%s)", seed, i, prev.Phase, st.Phase)

			if st.CanaryWeight < 0 || st.CanaryWeight > 100 || res.Desired.CanaryWeight != st.CanaryWeight {
				t.Fatalf("%s: weight %d out of 0..100 or desired %d differs", where, st.CanaryWeight, res.Desired.CanaryWeight)
			}
			sameRelease := prev.CanaryRevision == st.CanaryRevision && prev.StartedAt.Equal(st.StartedAt)
			if st.Phase == v1alpha1.PhasePromoted && prev.Phase != v1alpha1.PhasePromoted && st.Analysis.FailedChecks >= plan.Threshold {
				t.Fatalf("%s: promoted with %d failed checks ≥ threshold %d", where, st.Analysis.FailedChecks, plan.Threshold)
			}
			if sameRelease && o.Check != nil && o.Check.Verdict == v1alpha1.VerdictNoData && st.Analysis.PassedChecks > prev.Analysis.PassedChecks {
				t.Fatalf("%s: a check without data was counted as a pass", where)
			}
			if sameRelease && st.Analysis.FailedChecks < prev.Analysis.FailedChecks {
				t.Fatalf("%s: failed checks went down within one release", where)
			}
			// A person's promote (or --full) overrides the gates; nothing
			// else does.
			byHand := o.Command != nil && o.Command.ID != prev.LastCommand && (o.Command.Kind == CommandPromoteFull || o.Command.Kind == CommandPromote)
			promoting := st.Phase == v1alpha1.PhasePromoting && prev.Phase != v1alpha1.PhasePromoting
			if promoting && !byHand {
				if plan.ConfirmGate && !o.PromotionConfirmed {
					t.Fatalf("%s: promoted without the confirm-promotion gate's yes", where)
				}
				if plan.JudgeGate && (o.Judge == nil || o.Judge.Decision != JudgePass) {
					t.Fatalf("%s: promoted without the judge's pass", where)
				}
				if plan.HasChecks && (st.Analysis.NoDataSince != nil || st.Analysis.PassedChecks == 0) {
					t.Fatalf("%s: promoted with held checks or none passed: %+v", where, st.Analysis)
				}
			}
			if st.StepIndex < 0 || int(st.StepIndex) > len(plan.Steps) {
				t.Fatalf("%s: step index %d out of 0..%d", where, st.StepIndex, len(plan.Steps))
			}
			if st.Phase == v1alpha1.PhaseProgressing && prev.Phase == v1alpha1.PhaseProgressing && sameRelease && st.StepIndex > prev.StepIndex &&
				plan.Steps[prev.StepIndex].Kind == StepPause && st.Analysis.NoDataSince != nil && !byHand {
				t.Fatalf("%s: a pause ended while the checks were held", where)
			}
			if st.Phase == v1alpha1.PhaseWaiting && o.StableReady && o.CanaryRevision != "" && o.CanaryRevision != o.StableRevision {
				t.Fatalf("%s: still waiting though a new canary revision %q is there", where, o.CanaryRevision)
			}
			if st.Phase == v1alpha1.PhaseRolledBack && st.CanaryWeight != 0 {
				t.Fatalf("%s: rolled back with canary weight %d", where, st.CanaryWeight)
			}
			if st.Phase == v1alpha1.PhaseRollingBack || st.Phase == v1alpha1.PhaseRolledBack {
				if res.Desired.CanaryWeight != 0 || res.Desired.PromoteStable {
					t.Fatalf("%s: rollback wants weight %d promote=%v", where, res.Desired.CanaryWeight, res.Desired.PromoteStable)
				}
			}
			if c := o.Command; c != nil && c.ID != prev.LastCommand && prev.Phase == v1alpha1.PhasePaused && c.Kind == CommandPromote {
				moved := st.StepIndex > prev.StepIndex || st.Phase != v1alpha1.PhasePaused || !sameRelease
				if !moved {
					t.Fatalf("%s: promote while paused did not move on", where)
				}
			}
			// the router follows the desired weight, sometimes late
			if rnd.IntN(3) > 0 {
				wd.router = res.Desired.CanaryWeight
			}
		}
	}
}

// TestAbortAlwaysEndsStable checks that an abort, from any point of any
// release, ends RolledBack with every request on stable.
func TestAbortAlwaysEndsStable(t *testing.T) {
	for seed := range uint64(300) {
		rnd := rand.New(rand.NewPCG(seed, 11))
		plan := withHash(randomPlan(rnd))
		wd := &world{rnd: rnd, canary: "c0", now: t0}
		var st v1alpha1.ReleaseStatus
		abortAt := rnd.IntN(60)
		aborted := false
		for i := range 200 {
			o := wd.observe(plan, st)
			o.CanaryRevision, o.StableReady, o.Command = "c0", true, nil
			if i >= abortAt && (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused) && !aborted {
				o.Command = &Command{ID: "abort", Kind: CommandAbort}
				aborted = true
			}
			res := step(t, plan, st, o)
			st = res.Status
			wd.router = res.Desired.CanaryWeight
		}
		if aborted && (st.Phase != v1alpha1.PhaseRolledBack || st.CanaryWeight != 0 || wd.router != 0) {
			t.Fatalf("seed %d: after abort phase=%s weight=%d router=%d", seed, st.Phase, st.CanaryWeight, wd.router)
		}
	}
}
