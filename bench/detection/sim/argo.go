package sim

// argo follows Argo Rollouts as its documentation describes it: explicit
// steps (setWeight 10, pause 1m, ..., setWeight 50, pause 1m) that advance on
// time alone, and a background AnalysisRun started with the rollout whose
// metrics are measured every interval (1m, the first one at once):
// success-rate with successCondition result[0] >= 0.99 and p99 latency with
// result[0] <= 0.5, each with failureLimit 3 (the docs' example value): a
// metric fails the run when its failed measurements exceed the limit. A
// query with no data is an Error measurement; consecutiveErrorLimit (default
// 4) errors in a row more fail the run. A failed run aborts the rollout.
type argo struct {
	w         int
	out       outcome
	win       *ring
	plan      plan
	failures  [2]int
	errStreak [2]int
}

const (
	argoFailureLimit = 3
	argoErrorLimit   = 4
)

func newArgo(p plan) *argo {
	// The run's first measurement, taken as the rollout starts, finds no
	// data yet: one Error for each metric.
	return &argo{w: p.start(), win: newRing(successWin), plan: p, errStreak: [2]int{1, 1}}
}

func (a *argo) weight() int    { return a.w }
func (a *argo) state() outcome { return a.out }

func (a *argo) tick(t int, _, canary *arm) {
	a.win.push(canary)
	if t%interval == 0 {
		sr, ok1 := successRate(a.win.last(successWin))
		p, ok2 := p99ms(a.win.last(successWin))
		a.measure(0, ok1, sr/100 >= 0.99)
		a.measure(1, ok2, p/1000 <= 0.5)
		if a.out == rolledBack {
			return
		}
		// Steps advance on time: the pause at this weight is over.
		switch {
		case a.plan.hold > 0:
		case a.w < maxWeight:
			a.w = min(a.w+stepWeight, maxWeight)
		case a.plan.promotes():
			a.out, a.w = promoted, 100
		}
	}
}

func (a *argo) measure(i int, ok, success bool) {
	switch {
	case !ok:
		a.errStreak[i]++
		if a.errStreak[i] > argoErrorLimit {
			a.out, a.w = rolledBack, 0
		}
		return
	case !success:
		a.failures[i]++
		if a.failures[i] > argoFailureLimit {
			a.out, a.w = rolledBack, 0
		}
	}
	a.errStreak[i] = 0
}
