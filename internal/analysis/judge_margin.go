package analysis

import (
	"math"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// The latency margin. Two versions of one program in two processes never
// answer in exactly the same time: on a loaded machine a healthy canary can
// be a fraction of a millisecond slower than stable, and with enough requests
// any such difference becomes "significant". A latency test without a margin
// therefore rolls back canaries that nobody would call slower. The judge
// tests instead the null "the canary is no slower than stable plus a margin":
// with g(x) = max(x·(1+LatencyRelativeMargin), x+LatencyAbsoluteMargin), a
// canary is within the margin when its latency is stochastically at most g
// of stable's. The relative part suits slow services (20% of 300 ms), the
// absolute part fast ones (5 ms matters at no latency a person sees).
//
// A histogram only tells which bucket a request fell in, and the proxy's
// bounds are 1.2 to 1.5 times apart, as wide as a relative margin: it cannot
// tell a canary 20% slower from one 10% slower. The judge therefore applies
// g rounded down to the bucket bounds, G: for each bound b, G(b) is the
// largest bound at or below g(b). The null it tests is "the canary is no
// slower than G of stable's latency", with G ≤ g, and it is exact, not an
// approximation, since G maps bounds onto bounds. In practice the absolute
// margin spans several buckets in a fast service (5 ms against 2 ms) and
// takes full effect there, while a relative margin below the bucket spacing
// rounds to nothing and the latency test keeps its full power where
// regressions are tens of percent.
//
// Both sides use G:
//
//   - the fail test (seqTilt) scores a canary request in the bucket with
//     lower edge b as a stable request in the lowest bucket whose lower edge
//     G lifts to b or beyond (canaryShift). A canary within the margin then
//     scores like a stable version no slower than stable, the null the test
//     was built for, and its e-process stays valid;
//   - the pass tests count the canary's requests above G(B), against
//     stable's above B, B being the bucket bound at stable's running
//     quantile: the canary is satisfied when it is not much worse than
//     stable plus the same margin.

// Defaults of the latency margin.
const (
	// DefaultJudgeLatencyRelativeMargin is the relative slowdown tolerated:
	// spec.analysis.judge.latencyMargin's default.
	DefaultJudgeLatencyRelativeMargin = v1alpha1.DefaultJudgeLatencyMargin
	// DefaultJudgeLatencyAbsoluteMargin is the absolute slowdown tolerated,
	// in seconds: spec.analysis.judge.latencyMarginAbsolute's default.
	DefaultJudgeLatencyAbsoluteMargin = float64(v1alpha1.DefaultJudgeLatencyMarginAbsolute) / float64(time.Second)
)

// relMargin and absMargin are the margins in effect: a negative setting
// turns its margin off.
func (c JudgeConfig) relMargin() float64 { return max(0, c.LatencyRelativeMargin) }
func (c JudgeConfig) absMargin() float64 { return max(0, c.LatencyAbsoluteMargin) }

func (c JudgeConfig) hasMargin() bool { return c.relMargin() > 0 || c.absMargin() > 0 }

// marginUp is g: the slowest a canary request may be and still be "as fast"
// as a stable request that took x seconds.
func (c JudgeConfig) marginUp(x float64) float64 {
	return max(x*(1+c.relMargin()), x+c.absMargin())
}

// marginDown is g⁻¹, at least zero.
func (c JudgeConfig) marginDown(y float64) float64 {
	return max(0, min(y/(1+c.relMargin()), y-c.absMargin()))
}

// canaryShift maps each canary bucket to the stable bucket its requests are
// scored as: the lowest stable bucket whose lower edge, raised by the
// margin, reaches the canary bucket's lower edge. That is g rounded down to
// the histogram's bounds, exact on them, so a canary within the rounded
// margin scores no higher than the stable requests it is compared with.
// Without a margin it is the identity.
func (c JudgeConfig) canaryShift() []int {
	b := c.LatencyBounds
	shift := make([]int, len(b)+1)
	for i := range shift {
		if !c.hasMargin() || i == 0 {
			shift[i] = i
			continue
		}
		// g(b[k-1]) ≥ b[i-1] ⟺ b[k-1] ≥ g⁻¹(b[i-1]); the tolerance keeps
		// bounds that g maps exactly onto each other (0.25 s · 1.2 = 0.3 s)
		// from falling apart by a rounding error.
		d := c.marginDown(b[i-1]) * (1 - 1e-9)
		k := 0
		for k < i && b[k] < d {
			k++
		}
		shift[i] = k + 1
		if d <= 0 {
			shift[i] = 0
		}
	}
	return shift
}

// canaryScoring is canaryShift as the mix of stable buckets seqTilt takes,
// one stable bucket for each canary bucket.
func (c JudgeConfig) canaryScoring() [][]float64 {
	shift := c.canaryShift()
	w := make([][]float64, len(shift))
	for i, k := range shift {
		w[i] = make([]float64, len(shift))
		w[i][k] = 1
	}
	return w
}

// canaryBound is the bucket bound the pass tests count the canary's requests
// above when they count stable's above bound index i: the largest bound at
// or below g(bounds[i]), i itself at least.
func (c JudgeConfig) canaryBound(i int) int {
	b := c.LatencyBounds
	up := c.marginUp(b[i]) * (1 + 1e-9) // as in canaryShift
	k := i
	for k+1 < len(b) && b[k+1] <= up {
		k++
	}
	return k
}

// validMargin reports whether a margin setting is usable.
func validMargin(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
