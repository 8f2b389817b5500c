package sim

// method is one way of deciding a canary's fate, fed the traffic of its own
// weights one simulated second at a time.
type method interface {
	// weight is the canary weight, in percent, for the coming second.
	weight() int
	// tick takes what each arm served during second t (ending at t seconds).
	tick(t int, stable, canary *arm)
	// state tells whether the method rolled back or promoted.
	state() outcome
}

type outcome int

const (
	running outcome = iota
	rolledBack
	promoted
)

// plan is how a run's weights go: the shared plan below, or one weight
// held throughout; bake keeps a method analysing at its last weight
// instead of promoting.
type plan struct {
	hold int
	bake bool
}

// start is the weight of the first second.
func (p plan) start() int {
	if p.hold > 0 {
		return p.hold
	}
	return stepWeight
}

// promotes reports whether a method may promote at all.
func (p plan) promotes() bool { return p.hold == 0 && !p.bake }

// The release plan all methods share, in Flagger's words: start at
// stepWeight, add stepWeight after each passing interval up to maxWeight,
// promote after a passing interval at maxWeight.
const (
	interval   = 60 // seconds
	stepWeight = 10
	maxWeight  = 50
	threshold  = 5 // failed checks that roll back (Flagger, Sluice)
	minSuccess = 99.0
	maxP99ms   = 500.0
	successWin = 60 // seconds: request-success-rate window
	durationW  = 30 // seconds: request-duration window
)

// ring keeps the last seconds of one arm, for metric windows.
type ring struct {
	buf  []arm
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]arm, n)} }

func (r *ring) push(a *arm) {
	r.buf[r.next] = *a
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

// last sums the most recent n seconds (fewer if not yet seen).
func (r *ring) last(n int) arm {
	var s arm
	have := r.next
	if r.full {
		have = len(r.buf)
	}
	for i := 1; i <= min(n, have); i++ {
		s.add(&r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return s
}

// successRate is the percent of requests without error, as the
// request-success-rate metric defines it; ok is false without requests.
func successRate(a arm) (float64, bool) {
	if a.N == 0 {
		return 0, false
	}
	return 100 * float64(a.N-a.Errs) / float64(a.N), true
}

// p99ms estimates the p99 latency as Prometheus' histogram_quantile does:
// linear inside the bucket; the last finite bound for the +Inf bucket.
func p99ms(a arm) (float64, bool) {
	var total uint64
	for _, c := range a.Buckets {
		total += c
	}
	if total == 0 {
		return 0, false
	}
	rank := 0.99 * float64(total)
	var cum uint64
	for i, c := range a.Buckets {
		if c == 0 || float64(cum+c) < rank {
			cum += c
			continue
		}
		if i == len(latencyBounds) {
			break
		}
		lower := 0.0
		if i > 0 {
			lower = latencyBounds[i-1]
		}
		upper := latencyBounds[i]
		return 1000 * (lower + (upper-lower)*(rank-float64(cum))/float64(c)), true
	}
	return 1000 * latencyBounds[len(latencyBounds)-1], true
}
