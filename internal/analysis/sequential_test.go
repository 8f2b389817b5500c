package analysis

import (
	"math"
	"testing"
)

// logChoose is ln(n choose k).
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// hypergeomPMF is P(X = x) for x canary events when e events fall uniformly
// on nc canary and ns stable requests.
func hypergeomPMF(nc, ns, e, x int) float64 {
	if x > nc || e-x > ns || x < 0 || x > e {
		return 0
	}
	return math.Exp(logChoose(nc, x) + logChoose(ns, e-x) - logChoose(nc+ns, e))
}

// The error and slow-request test's batch ratio must have expectation at
// most one under "no worse", both for Poisson arrivals (binomial, exactly
// one) and for fixed request counts (hypergeometric, below one).
func TestRiskRatioIsAnEValue(t *testing.T) {
	tests := map[string]struct{ nc, ns, e int }{
		"10% split, few errors":  {nc: 10, ns: 90, e: 3},
		"10% split, many errors": {nc: 10, ns: 90, e: 40},
		"half split":             {nc: 50, ns: 50, e: 20},
		"canary nearly alone":    {nc: 95, ns: 5, e: 10},
		"every request failed":   {nc: 7, ns: 13, e: 20},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p0 := float64(tc.nc) / float64(tc.nc+tc.ns)
			for _, r := range append([]float64{DefaultJudgePassRatio}, DefaultJudgeRatios...) {
				var hyper, binom float64
				for x := 0; x <= tc.e; x++ {
					lr := math.Exp(riskLogLR(r, p0, uint64(x), uint64(tc.e)))
					hyper += hypergeomPMF(tc.nc, tc.ns, tc.e, x) * lr
					binom += math.Exp(logChoose(tc.e, x)+float64(x)*math.Log(p0)+float64(tc.e-x)*math.Log1p(-p0)) * lr
				}
				if hyper > 1+1e-9 {
					t.Errorf("r=%v: E[LR] under fixed counts = %v, want ≤ 1", r, hyper)
				}
				if math.Abs(binom-1) > 1e-9 {
					t.Errorf("r=%v: E[LR] under Poisson arrivals = %v, want 1", r, binom)
				}
			}
		})
	}
}

// The pass side's ratio must have expectation at most one whenever the
// canary really is PassRatio times worse or more.
func TestRiskPassRatioIsAnEValueUnderWorseCanary(t *testing.T) {
	const e, p0 = 30, 0.2
	for _, truth := range []float64{DefaultJudgePassRatio, 3, 10} {
		q := truth * p0 / (truth*p0 + 1 - p0)
		var mean float64
		for x := 0; x <= e; x++ {
			pmf := math.Exp(logChoose(e, x) + float64(x)*math.Log(q) + float64(e-x)*math.Log1p(-q))
			mean += pmf * math.Exp(-riskLogLR(DefaultJudgePassRatio, p0, uint64(x), e))
		}
		if mean > 1+1e-9 {
			t.Errorf("canary %v× worse: E[pass LR] = %v, want ≤ 1", truth, mean)
		}
	}
}

// The slack test's ratio must have expectation at most one for any error
// rate at or above the slack.
func TestFloorIsAnEValueAboveSlack(t *testing.T) {
	const n, slack = 200, 0.005
	for _, p := range []float64{slack, 0.01, 0.2} {
		var mean float64
		for x := 0; x <= n; x++ {
			f := newSeqFloor()
			f.observe(slack, n, uint64(x))
			pmf := math.Exp(logChoose(n, x) + float64(x)*math.Log(p) + float64(n-x)*math.Log1p(-p))
			mean += pmf * math.Exp(f.logE())
		}
		if mean > 1+1e-9 {
			t.Errorf("error rate %v: E[floor e-value] = %v, want ≤ 1", p, mean)
		}
	}
}

// The latency tilt tests' batch ratio (tail and body scores) must have
// expectation at most one when which requests are the canary's is a
// uniformly random subset: enumerate every subset of a small batch.
func TestTiltRatioIsAnEValue(t *testing.T) {
	stableHist := []uint64{400, 300, 200, 80, 15, 5} // places the scores
	tests := map[string]struct {
		labels []int // bucket of each request of the batch
		nc     int
		shift  []int // the margin's mapping of canary buckets, as whole buckets
	}{
		"mixed batch":      {labels: []int{0, 1, 1, 2, 3, 3, 4, 5, 0, 2}, nc: 3},
		"canary half":      {labels: []int{0, 1, 2, 3, 4, 5, 5, 4}, nc: 4},
		"one slow request": {labels: []int{0, 0, 1, 0, 5, 1, 0, 1, 0}, nc: 2},
		"all slow":         {labels: []int{5, 5, 4, 5, 4, 3}, nc: 1},
		// With a margin the canary's requests score as faster ones: the
		// identical canary is well inside the null.
		"margin, mixed":    {labels: []int{0, 1, 1, 2, 3, 3, 4, 5, 0, 2}, nc: 3, shift: []int{0, 0, 1, 2, 3, 4}},
		"margin, one slow": {labels: []int{0, 0, 1, 0, 5, 1, 0, 1, 0}, nc: 2, shift: []int{0, 0, 0, 1, 2, 3}},
		"margin, all slow": {labels: []int{5, 5, 4, 5, 4, 3}, nc: 2, shift: []int{0, 0, 0, 0, 2, 4}},
	}
	for _, body := range []bool{false, true} {
		for name, tc := range tests {
			if body {
				name = "body scores, " + name
			}
			t.Run(name, func(t *testing.T) {
				tiltSubsets(t, stableHist, tc.labels, tc.nc, tc.shift, body)
			})
		}
	}
}

// tiltSubsets checks E[e-value] ≤ 1 over every canary subset of size nc.
func tiltSubsets(t *testing.T, stableHist []uint64, labels []int, nc int, shift []int, body bool) {
	t.Helper()
	if shift == nil {
		shift = []int{0, 1, 2, 3, 4, 5}
	}
	scoring := make([][]float64, len(shift))
	for i, k := range shift {
		scoring[i] = make([]float64, len(shift))
		scoring[i][k] = 1
	}
	n := len(labels)
	var mean float64
	subsets := 0
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != nc {
			continue
		}
		st := newSeqTilt()
		if body {
			st = newLatencyFail().Body
		}
		st.rescore(stableHist)
		stable, canary := make([]uint64, len(stableHist)), make([]uint64, len(stableHist))
		for i, b := range labels {
			if mask&(1<<i) != 0 {
				canary[b]++
			} else {
				stable[b]++
			}
		}
		st.observe(stable, canary, stableHist, scoring)
		mean += math.Exp(st.logE())
		subsets++
	}
	mean /= float64(subsets)
	if mean > 1+1e-9 {
		t.Errorf("E[tilt e-value] over all %d canary subsets = %v, want ≤ 1", subsets, mean)
	}
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// Scores weigh only the part of stable's distribution above its median, and
// more the rarer it is.
func TestTiltScores(t *testing.T) {
	st := newSeqTilt()
	st.rescore([]uint64{500, 300, 150, 45, 5, 0})
	s := st.Scores
	if s[0] != 0 || s[1] != 0 {
		t.Errorf("buckets at or below stable's median score %v, %v; want 0", s[0], s[1])
	}
	for i := 2; i < len(s); i++ {
		if !(s[i] > s[i-1]) {
			t.Errorf("score of bucket %d = %v, not above bucket %d's %v", i, s[i], i-1, s[i-1])
		}
	}
	if got, want := s[len(s)-1], math.Log(1001.0/2); math.Abs(got-want) > 1e-9 {
		t.Errorf("score beyond stable's slowest request = %v, want ln((N+1)/2) = %v", got, want)
	}
	few := newSeqTilt()
	few.rescore([]uint64{50, 10})
	if few.Scores != nil {
		t.Errorf("scores placed from %d stable requests, want none below %d", 60, tiltMinStable)
	}
}

func TestLogMeanExp(t *testing.T) {
	tests := map[string]struct {
		in   []float64
		want float64
	}{
		"empty":      {in: nil, want: 0},
		"one":        {in: []float64{2}, want: 2},
		"equal":      {in: []float64{3, 3, 3}, want: 3},
		"mixed":      {in: []float64{0, math.Log(3)}, want: math.Log(2)},
		"huge":       {in: []float64{1000, 1000}, want: 1000},
		"minus inf":  {in: []float64{math.Inf(-1), 0}, want: -math.Ln2},
		"all -inf":   {in: []float64{math.Inf(-1)}, want: math.Inf(-1)},
		"very small": {in: []float64{-1000, -1000}, want: -1000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := logMeanExp(tc.in)
			if !(got == tc.want || math.Abs(got-tc.want) < 1e-12) {
				t.Errorf("logMeanExp(%v) = %v, want %v", tc.in, got, tc.want)
			}
			if len(tc.in) == 2 {
				if got2 := logMeanExp2(tc.in[0], tc.in[1]); !(got2 == tc.want || math.Abs(got2-tc.want) < 1e-12) {
					t.Errorf("logMeanExp2(%v) = %v, want %v", tc.in, got2, tc.want)
				}
			}
		})
	}
}
