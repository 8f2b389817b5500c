package analysis

import "math"

// The latency fail test is a mixture of three families of e-processes,
// each suited to one way a version gets slower, because no single score
// catches them all quickly:
//
//   - tail: the log-survival tilt (seqTilt), for a heavier tail (p99 up);
//   - body: the same permutation tilt on normal scores of stable's
//     distribution, Φ⁻¹ of its mid-rank, over the whole range. A canary
//     whose median is 30% slower but whose p99 is unchanged moves most of
//     its requests a little, which the tail scores (zero below stable's
//     median) barely see: the tail family took a minute where this one
//     takes seconds. Being faster in the body counts against this family
//     only, never against the tail;
//   - exceedance: for stable's running p99 and p99.9, the relative-risk
//     test of the error test (seqRisk) on "slower than that bound", with
//     large ratios. A canary that answers 2% of its requests in 750 ms,
//     the rest as stable, changes nothing a tilt of the whole distribution
//     fits well, but its share above stable's p99.9 is fifteen times
//     stable's.
//
// Each family is a test supermartingale under "the canary is no slower
// than stable plus the margin" (the margin maps the canary's buckets as in
// judge_margin.go), so their weighted average is one too, and the test
// fails at 1/(its share of α) with probability at most that share.

// Weights of the latency fail families; the exceedance weight is split
// between its quantiles.
const (
	latencyTailWeight   = 0.4
	latencyBodyWeight   = 0.3
	latencyExceedWeight = 0.3
)

// bodyThetas are the tilts of the body family, in units of stable's
// standard normal score: a shift of the median by a third of the log
// spread (about 25% for a typical service) is best caught near 0.35.
var bodyThetas = []float64{0.1, 0.2, 0.35, 0.5, 0.75}

// bodyPrior weighs the body tilts equally.
var bodyPrior = uniform(len(bodyThetas))

// exceedQuantiles are the stable quantiles whose bounds the exceedance
// tests count above, and exceedRatios their alternatives: the canary's
// share above the bound being r times stable's.
var (
	exceedQuantiles = []float64{0.99, 0.999}
	exceedRatios    = []float64{3, 10, 30}
	exceedPrior     = uniform(len(exceedRatios))
)

// exceedMinAbove is how many stable requests above a quantile its bound
// needs before it is placed: fewer than one, so that the p99.9 bound is
// placed after 500 stable requests, roughly (at or below stable's slowest
// requests, which only makes stable's share above it larger), instead of
// after thousands while a canary with a few very slow requests goes on.
const exceedMinAbove = 0.5

// latencyFail is the latency fail test's state.
type latencyFail struct {
	Tail   seqTilt      `json:"tail"`
	Body   seqTilt      `json:"body"`
	Exceed []exceedTest `json:"exceed"`
}

// exceedTest is the relative-risk test on requests slower than the bucket
// bound at stable's running Quantile.
type exceedTest struct {
	Quantile float64 `json:"quantile"`
	// Boundary indexes LatencyBounds; -1 until stable has served enough.
	Boundary int     `json:"boundary"`
	Risk     seqRisk `json:"risk"`
}

func newLatencyFail() latencyFail {
	l := latencyFail{Tail: newSeqTilt(), Body: seqTilt{Body: true, Fail: newSwitchMix(bodyPrior)}}
	for _, q := range exceedQuantiles {
		l.Exceed = append(l.Exceed, exceedTest{Quantile: q, Boundary: -1, Risk: newSeqRisk(exceedPrior)})
	}
	return l
}

// observe folds in one window's histograms; h is stable's cumulative
// histogram including this window (the tilts rescore from it for the next
// one), prev the same before it (the exceedance bounds are placed from
// it). shift is the margin's map of canary buckets to the stable buckets
// they count as (judge_margin.go), as scoring is for the tilts: a canary
// request is above the bound when the stable bucket it counts as is, so
// that every family tests the very same null.
func (l *latencyFail) observe(stable, canary, prev, h []uint64, shift []int, scoring [][]float64) {
	l.Tail.observe(stable, canary, h, scoring)
	l.Body.observe(stable, canary, h, scoring)
	ns, nc := sum(stable), sum(canary)
	for i := range l.Exceed {
		e := &l.Exceed[i]
		e.Boundary = exceedBoundary(prev, e.Quantile)
		if e.Boundary < 0 {
			continue
		}
		var xc uint64
		for i, k := range shift {
			if k > e.Boundary {
				xc += canary[i]
			}
		}
		e.Risk.observe(exceedRatios, exceedPrior, DefaultJudgePassRatio, nc, ns, xc, sum(stable[e.Boundary+1:]))
	}
}

// logE is ln of the weighted average of the families' e-values.
func (l *latencyFail) logE() float64 {
	terms := []float64{
		math.Log(latencyTailWeight) + l.Tail.logE(),
		math.Log(latencyBodyWeight) + l.Body.logE(),
	}
	for i := range l.Exceed {
		terms = append(terms, math.Log(latencyExceedWeight/float64(len(l.Exceed)))+l.Exceed[i].Risk.failLogE())
	}
	v := logSumExp(terms)
	if math.Abs(v) < 1e-12 {
		return 0 // the weights' rounding, not evidence
	}
	return v
}

// exceedBoundary is the index of the largest bucket bound at or below
// quantile q of stable's histogram, or -1 while fewer than exceedMinAbove
// requests are expected above it.
func exceedBoundary(buckets []uint64, q float64) int {
	total := sum(buckets)
	if total == 0 || float64(total)*(1-q) < exceedMinAbove || len(buckets) < 2 {
		return -1
	}
	want := q * float64(total)
	var cum uint64
	for i := range buckets {
		cum += buckets[i]
		if float64(cum) >= want {
			return max(0, min(i-1, len(buckets)-2))
		}
	}
	return len(buckets) - 2
}

// bodyScores fills s with the normal scores of stable's histogram h (of
// total requests): Φ⁻¹ of each bucket's mid-rank, smoothed so that the
// scores stay finite at the ends.
func bodyScores(s []float64, h []uint64, total uint64) {
	var below uint64
	for i := range h {
		mid := (float64(below) + float64(h[i])/2 + 0.5) / (float64(total) + 1)
		s[i] = math.Sqrt2 * math.Erfinv(2*mid-1)
		below += h[i]
	}
}
