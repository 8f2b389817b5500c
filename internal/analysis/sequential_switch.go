package analysis

import "math"

// Staying armed. A fail test that multiplies its likelihood ratios from the
// first canary request on has a memory: after hours of a healthy canary the
// ratios of every "worse" alternative have shrunk far below one, and a
// regression that starts late must first win all of that back. A canary
// that is fine for an hour and then fails for 30 s would go unnoticed.
//
// The fail tests therefore mix not only over alternatives but over when
// they start, by fixed-share switching (Herbster and Warmuth, 1998; the
// same construction as the "e-detectors" of Shin, Ramdas and Rinaldo,
// 2023). There is one more state than alternatives: "healthy", whose ratio
// is always one. Each window moves a small share γ of the weight back to a
// fixed prior over all states, so some weight always sits on every
// alternative, ready to grow as soon as the canary turns bad. The process
//
//	E_t = Π_i Σ_s w_{i,s} · LR_{i,s}
//
// has, given the past, a factor of expectation at most one under the null
// (each LR_{i,s} has, and the weights w_i are fixed before window i is
// seen), so E_t is a test supermartingale and Ville's inequality bounds the
// chance of it ever reaching 1/α by α, however long the release runs. A
// canary bad from the start pays what the plain mixture paid (the weights
// start on the alternatives); a canary that turns bad after a healthy
// stretch pays about ln(1/(γ·prior)) instead of its whole healthy history.
//
// γ is set per canary request (switchPerRequest), not per window, so that
// a shell that batches every 250 ms and one that batches every minute
// forget at the same pace per request served.

// switchPerRequest is the share of weight moved back to the prior per
// canary request in a window (γ = 1-(1-switchPerRequest)^n, at most
// maxSwitch). It trades the cost of a late start, about
// ln(1/(switchPerRequest·requests per window·prior)), against the weight
// drained from the current path, about switchPerRequest per request.
const (
	switchPerRequest = 1e-5
	maxSwitch        = 0.5
	// healthyPrior is the share of the switching prior on "healthy".
	healthyPrior = 0.5
)

// switchMix is a fixed-share mixture over "healthy" (state 0) and the
// alternatives 1..K of one fail test.
type switchMix struct {
	// LogE is ln of the e-process.
	LogE float64 `json:"logE"`
	// W holds the weights of the states for the next window, healthy
	// first; they sum to one. (Weights rather than their logarithms: a
	// weight of zero has no logarithm JSON can hold, and switching keeps
	// every weight it matters for above γ·prior.)
	W []float64 `json:"w"`
}

// newSwitchMix starts with all weight on the alternatives, as prior says
// (weights summing to one).
func newSwitchMix(prior []float64) switchMix {
	m := switchMix{W: make([]float64, len(prior)+1)}
	copy(m.W[1:], prior)
	return m
}

// uniform is k equal weights.
func uniform(k int) []float64 {
	w := make([]float64, k)
	for i := range w {
		w[i] = 1 / float64(k)
	}
	return w
}

// update folds in one window: logLR[i] is ln of the window's likelihood
// ratio for alternative i (the healthy state's is zero), prior the
// alternatives' prior weights, and canary the canary requests in the
// window, which set γ.
func (m *switchMix) update(logLR, prior []float64, canary uint64) {
	k := len(m.W) - 1
	post := make([]float64, k+1)
	post[0] = math.Log(m.W[0])
	for i := 1; i <= k; i++ {
		post[i] = math.Log(m.W[i]) + logLR[i-1]
	}
	lf := logSumExp(post)
	if math.IsInf(lf, 0) || math.IsNaN(lf) {
		// Cannot happen while the weights sum to one and the ratios are
		// finite; kept so a corrupt state cannot turn into NaN.
		return
	}
	m.LogE += lf
	gamma := switchShare(canary)
	for i := range post {
		back := healthyPrior
		if i > 0 {
			back = (1 - healthyPrior) * prior[i-1]
		}
		m.W[i] = (1-gamma)*math.Exp(post[i]-lf) + gamma*back
	}
}

// switchShare is γ for a window with n canary requests.
func switchShare(n uint64) float64 {
	if n == 0 {
		return 0
	}
	return min(maxSwitch, -math.Expm1(float64(n)*math.Log1p(-switchPerRequest)))
}

// logE is ln of the e-process.
func (m *switchMix) logE() float64 { return m.LogE }

// logSumExp is ln(Σ exp(v)), computed without overflow.
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
