package sim

// flagger follows Flagger's canary analysis as its scheduler runs it
// (pkg/controller/scheduler.go, advanceCanary): every interval it first
// rolls back if the failed checks have already reached the threshold, and
// only otherwise queries request-success-rate (min 99, 1m window) and
// request-duration (p99 max 500 ms, 30s window) for the canary; a failed
// check, or a query with no values, halts advancement and counts one failed
// check, never reset. So the rollback comes one interval after the
// threshold-th failed check, not at it. A passing check adds stepWeight up
// to maxWeight; a passing check at maxWeight promotes. With a held weight
// the weight never moves; with a bake or a held weight it never promotes.
type flagger struct {
	w      int
	failed int
	out    outcome
	win    *ring
	plan   plan
}

func newFlagger(p plan) *flagger {
	return &flagger{w: p.start(), win: newRing(successWin), plan: p}
}

func (f *flagger) weight() int    { return f.w }
func (f *flagger) state() outcome { return f.out }

func (f *flagger) tick(t int, _, canary *arm) {
	f.win.push(canary)
	if t%interval != 0 {
		return
	}
	if f.failed >= threshold {
		// The threshold was reached at the previous check; this one acts.
		f.out, f.w = rolledBack, 0
		return
	}
	if !f.checkPasses() {
		f.failed++
		return
	}
	switch {
	case f.plan.hold > 0:
	case f.w < maxWeight:
		f.w = min(f.w+stepWeight, maxWeight)
	case f.plan.promotes():
		f.out, f.w = promoted, 100
	}
}

func (f *flagger) checkPasses() bool {
	sr, ok := successRate(f.win.last(successWin))
	if !ok || sr < minSuccess {
		return false
	}
	p, ok := p99ms(f.win.last(durationW))
	return ok && p <= maxP99ms
}
