package release

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// world is a simulated service for the lifecycle property test: a stable
// and a canary slot that run revisions, a router, metrics with outages and
// faulty revisions, webhooks and a store that can fail, all behind the
// release layer's part interfaces. It checks the safety rules where they
// can be seen: at every write of the router.
type world struct {
	rnd *rand.Rand
	now time.Time

	// revisions are numbered in the order they were made: r001 < r002.
	revs int
	// stableRev runs in the stable slot; canarySlot in the canary slot.
	stableRev, canarySlot  string
	stableReady, slotReady bool
	canaryUp               bool
	// desired is the canary the user asks for (Git, set image, a file).
	desired string
	// promoted is the last revision promoted (status saved Promoted).
	promoted string
	bad      map[string]bool

	weight int32
	match  bool
	// outage makes every metric answer no data.
	outage bool
	// failSave makes the next Save fail: a shell dying after it acted.
	failSave bool
	// abortInHook makes the next hook call see an abort arrive, which
	// must interrupt it.
	abortInHook bool
	interrupts  *Interrupts
	key         string
	onAbort     func()
	hookCut     bool

	counts map[string]*analysis.ArmSample
	saved  v1alpha1.ReleaseStatus
	// violations are the safety rules broken, as seen by the parts.
	violations []string
}

func newWorld(rnd *rand.Rand) *world {
	w := &world{rnd: rnd, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), bad: map[string]bool{}, counts: map[string]*analysis.ArmSample{}}
	w.stableRev = w.newRev()
	w.desired = w.newRev()
	w.stableReady = true
	return w
}

func (w *world) newRev() string {
	w.revs++
	return fmt.Sprintf("r%03d", w.revs)
}

func revIndex(rev string) int {
	n, _ := strconv.Atoi(rev[1:])
	return n
}

func (w *world) violate(format string, args ...any) {
	w.violations = append(w.violations, fmt.Sprintf(format, args...))
}

// --- Workload

func (w *world) Observe(context.Context) (Versions, error) {
	// Things become ready in their own time.
	if !w.stableReady && w.rnd.IntN(2) == 0 {
		w.stableReady = true
	}
	if w.canaryUp && !w.slotReady && w.rnd.IntN(2) == 0 {
		w.slotReady = true
	}
	return Versions{
		StableRevision: w.stableRev, CanaryRevision: w.desired,
		StableReady: w.stableReady, CanaryReady: w.canaryUp && w.slotReady && w.canarySlot == w.desired,
		StableName: "api-stable", CanaryName: "api-canary",
	}, nil
}

func (w *world) Apply(_ context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error {
	if want.PromoteStable && st.CanaryRevision != "" && w.stableRev != st.CanaryRevision && w.canarySlot == st.CanaryRevision && w.rnd.IntN(2) == 0 {
		w.stableRev, w.stableReady = st.CanaryRevision, false // the stable rolls to the promoted template
	}
	switch {
	case want.CanaryScaledUp:
		if w.canarySlot != w.desired {
			w.canarySlot, w.slotReady = w.desired, false
		}
		w.canaryUp = true
	case st.Phase == v1alpha1.PhaseRolledBack || st.Phase == v1alpha1.PhasePromoted:
		w.canaryUp, w.slotReady = false, false
	}
	return nil
}

// --- Router

func (w *world) Weight(context.Context) (int32, error) { return w.weight, nil }

func (w *world) Route(_ context.Context, weight int32, match bool) error {
	if weight < 0 || weight > 100 {
		w.violate("weight %d written: stable and canary must sum to 100", weight)
	}
	reached := []string{}
	if weight < 100 {
		reached = append(reached, w.stableRev)
	}
	if weight > 0 || match {
		reached = append(reached, w.canarySlot)
	}
	for _, rev := range reached {
		if w.promoted != "" && rev != "" && revIndex(rev) < revIndex(w.promoted) {
			w.violate("traffic routed to %s, older than the last promoted %s (weight %d)", rev, w.promoted, weight)
		}
	}
	w.weight, w.match = weight, match
	return nil
}

// --- Metrics

func (w *world) Sample(_ context.Context, _, version string, _ time.Duration, _ time.Time) (analysis.Sample, error) {
	if w.outage {
		if w.rnd.IntN(2) == 0 {
			return analysis.Sample{}, errors.New("prometheus: connection refused")
		}
		return analysis.Sample{NoData: true, Reason: "no series"}, nil
	}
	v := 100.0
	if version == "canary" && w.bad[w.canarySlot] {
		v = 80
	}
	return analysis.Sample{Value: v, Requests: 1000}, nil
}

func (w *world) Counts(_ context.Context, version string, _ time.Time) (analysis.ArmSample, []float64, error) {
	if w.outage {
		return analysis.ArmSample{}, nil, errors.New("prometheus: connection refused")
	}
	c := w.counts[version]
	if c == nil {
		c = &analysis.ArmSample{}
		w.counts[version] = c
	}
	n := uint64(100 + w.rnd.IntN(100))
	c.Requests += n
	if version == "canary" && w.bad[w.canarySlot] {
		c.Errors += n / 5
	}
	return *c, nil, nil
}

// --- Hooks

func (w *world) AddToCheck(ctx context.Context, _ *v1alpha1.Release, res engine.CheckResult) engine.CheckResult {
	w.slowHook(ctx)
	return res
}

func (w *world) AskRollback(context.Context, *v1alpha1.Release, time.Time) *engine.Command {
	return nil
}

func (w *world) Confirm(ctx context.Context, _ *v1alpha1.Release, obs *engine.Observation) {
	w.slowHook(ctx)
	obs.PromotionConfirmed = w.rnd.IntN(3) > 0
	if !obs.PromotionConfirmed {
		obs.HoldPromotion = "confirm-promotion webhook said no"
	}
}

func (w *world) Announce(context.Context, *v1alpha1.Release, []engine.Event) {}

// slowHook is a hook that takes its time: when an abort is due, it arrives
// while the hook waits, and must cut it short.
func (w *world) slowHook(ctx context.Context) {
	if !w.abortInHook {
		return
	}
	w.abortInHook = false
	w.onAbort()
	if !w.interrupts.Interrupt(w.key) {
		w.violate("no tick in flight to interrupt")
	}
	select {
	case <-ctx.Done():
		w.hookCut = true
	case <-time.After(5 * time.Second):
		w.violate("an abort did not cut a slow hook short")
	}
}

// --- Store

func (w *world) Save(_ context.Context, _ *v1alpha1.Release, st v1alpha1.ReleaseStatus) error {
	if w.failSave {
		w.failSave = false
		return errors.New("the shell died before saving")
	}
	if st.Phase == v1alpha1.PhasePromoted && w.saved.Phase != v1alpha1.PhasePromoted {
		w.promoted = st.StableRevision
	}
	w.saved = *st.DeepCopy()
	return nil
}

var (
	_ Workload = (*world)(nil)
	_ Router   = (*world)(nil)
	_ Metrics  = (*world)(nil)
	_ Hooks    = (*world)(nil)
	_ Store    = (*world)(nil)
)
